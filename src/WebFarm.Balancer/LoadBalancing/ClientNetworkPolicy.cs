using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.LoadBalancing;

/// <summary>
/// Consistent hash of the client's network (NLB "Class C" affinity): IPv4 /24, IPv6 /64. Clients behind a
/// pool of proxies that share a network keep the same server.
/// </summary>
public sealed class ClientNetworkPolicy : IRequestReadingPolicy
{
    public ServerRuntime? Choose(HttpContext context, ReadOnlySpan<ServerRuntime> candidates)
        => Choose(new HttpRequestPolicyView(context), candidates);

    ServerRuntime? IRequestReadingPolicy.Choose<TRequest>(in TRequest request, ReadOnlySpan<ServerRuntime> candidates)
        => Choose(request, candidates);

    internal static ServerRuntime? Choose<TRequest>(in TRequest request, ReadOnlySpan<ServerRuntime> candidates)
        where TRequest : struct, IPolicyRequest
        => ClientAddressHash.TryHash(request.RemoteAddress, ipv4Bytes: 3, ipv6Bytes: 8, out var hash)
            ? RendezvousHash.Choose(hash, candidates)
            : WeightedRandom.Choose(candidates);
}
