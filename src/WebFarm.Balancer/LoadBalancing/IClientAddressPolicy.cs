using System.Net;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.LoadBalancing;

/// <summary>
/// A policy that reads only the client's address (ClientIp, ClientNetwork), so it also chooses for a TCP connection,
/// which has no HTTP request; the same hash either way, so a client maps to the same server on every balancer.
/// </summary>
public interface IClientAddressPolicy : ILoadBalancingPolicy
{
    /// <returns>The chosen server, or null when <paramref name="candidates"/> is empty or every weight is 0.</returns>
    ServerRuntime? Choose(IPAddress? client, ReadOnlySpan<ServerRuntime> candidates);
}
