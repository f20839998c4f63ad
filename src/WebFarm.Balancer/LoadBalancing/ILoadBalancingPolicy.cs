using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.LoadBalancing;

/// <summary>
/// Picks one server for a request among candidates the farm has already filtered to those that may take it
/// (available primaries, or available backups when no primary is). Candidates come in configuration order.
/// Implementations are called concurrently and must not allocate on this path.
/// </summary>
public interface ILoadBalancingPolicy
{
    /// <returns>The chosen server, or null when <paramref name="candidates"/> is empty or every weight is 0.</returns>
    ServerRuntime? Choose(HttpContext context, ReadOnlySpan<ServerRuntime> candidates);
}
