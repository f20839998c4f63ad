namespace WebFarm.Balancer.Admin;

/// <summary>The admin API's error body: {"error": "weight: 20000 is out of range (0 to 10000)"}.</summary>
public sealed record AdminError(string Error);
