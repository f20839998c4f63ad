using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.LoadBalancing;

/// <summary>
/// A policy whose choice depends on the request (hash of a header, cookie, path or query parameter; the client's
/// address), read through <see cref="IPolicyRequest"/> so that Kestrel's path and the HTTP/1.1 front end choose alike.
/// </summary>
internal interface IRequestReadingPolicy : ILoadBalancingPolicy
{
    /// <returns>The chosen server, or null when <paramref name="candidates"/> is empty or every weight is 0.</returns>
    ServerRuntime? Choose<TRequest>(in TRequest request, ReadOnlySpan<ServerRuntime> candidates)
        where TRequest : struct, IPolicyRequest;
}
