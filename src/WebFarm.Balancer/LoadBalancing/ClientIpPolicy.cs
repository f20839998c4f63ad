using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.LoadBalancing;

/// <summary>
/// Consistent hash of the connection's remote IP address (NLB "Single" affinity): a client keeps going to
/// the same server while the set of servers stays the same. Without a remote address (e.g. in-process
/// transports) it falls back to weighted random.
/// </summary>
public sealed class ClientIpPolicy : IClientAddressPolicy
{
    public ServerRuntime? Choose(HttpContext context, ReadOnlySpan<ServerRuntime> candidates)
        => Choose(context.Connection.RemoteIpAddress, candidates);

    public ServerRuntime? Choose(System.Net.IPAddress? client, ReadOnlySpan<ServerRuntime> candidates)
        => ClientAddressHash.TryHash(client, ipv4Bytes: 4, ipv6Bytes: 16, out var hash)
            ? RendezvousHash.Choose(hash, candidates)
            : WeightedRandom.Choose(candidates);
}
