namespace WebFarm.Balancer.Admin;

/// <summary>The body of POST /api/farms/{farm}/servers as <see cref="AdminApiClient"/> sends it.</summary>
public sealed record AddServerRequest(string Name, string Address, int Weight);
