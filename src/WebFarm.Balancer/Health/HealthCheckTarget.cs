using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Health;

/// <summary>A server and the check that applies to it (the farm's, or the server's own override).</summary>
public readonly record struct HealthCheckTarget(ServerRuntime Server, HealthCheckOptions Settings);
