using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Admin;

/// <summary>A server as another balancer's admin API reports it: what a controller compares with what it wants.</summary>
public sealed record RemoteServer(string Name, string Address, ServerState State, int Weight, bool Healthy, int InFlight, bool AddedAtRuntime);
