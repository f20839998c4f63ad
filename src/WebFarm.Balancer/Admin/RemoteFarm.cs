namespace WebFarm.Balancer.Admin;

/// <summary>A farm as another balancer's admin API reports it (what <see cref="AdminApiClient"/> reads).</summary>
public sealed record RemoteFarm(string Name, IReadOnlyList<RemoteServer> Servers);
