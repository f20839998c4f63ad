using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.LoadBalancing;

/// <summary>
/// Consistent hash of the connection's remote IP address (NLB "Single" affinity): a client keeps going to
/// the same server while the set of servers stays the same. Without a remote address (e.g. in-process
/// transports) it falls back to weighted random.
/// </summary>
public sealed class ClientIpPolicy : IRequestReadingPolicy
{
    public ServerRuntime? Choose(HttpContext context, ReadOnlySpan<ServerRuntime> candidates)
        => Choose(new HttpRequestPolicyView(context), candidates);

    ServerRuntime? IRequestReadingPolicy.Choose<TRequest>(in TRequest request, ReadOnlySpan<ServerRuntime> candidates)
        => Choose(request, candidates);

    internal static ServerRuntime? Choose<TRequest>(in TRequest request, ReadOnlySpan<ServerRuntime> candidates)
        where TRequest : struct, IPolicyRequest
        => ClientAddressHash.TryHash(request.RemoteAddress, ipv4Bytes: 4, ipv6Bytes: 16, out var hash)
            ? RendezvousHash.Choose(hash, candidates)
            : WeightedRandom.Choose(candidates);
}
