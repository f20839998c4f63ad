using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.LoadBalancing;

/// <summary>
/// A policy whose choice does not depend on the request (round robin, least requests, ...). The HTTP/1.1 front end
/// has no <see cref="Microsoft.AspNetCore.Http.HttpContext"/>: it serves a farm's requests itself only with such a
/// policy or one that reads the request through <see cref="IPolicyRequest"/> (<see cref="IRequestReadingPolicy"/>).
/// </summary>
public interface IRequestIndependentPolicy : ILoadBalancingPolicy
{
    /// <returns>The chosen server, or null when <paramref name="candidates"/> is empty or every weight is 0.</returns>
    ServerRuntime? Choose(ReadOnlySpan<ServerRuntime> candidates);
}
