namespace WebFarm.Balancer.Admin;

/// <summary>The body of PUT /api/farms/{farm}/servers/{server}/weight as <see cref="AdminApiClient"/> sends it.</summary>
public sealed record WeightRequest(int Weight);
