using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.LoadBalancing;

/// <summary>
/// Consistent hash of the client's network (NLB "Class C" affinity): IPv4 /24, IPv6 /64. Clients behind a
/// pool of proxies that share a network keep the same server.
/// </summary>
public sealed class ClientNetworkPolicy : IClientAddressPolicy
{
    public ServerRuntime? Choose(HttpContext context, ReadOnlySpan<ServerRuntime> candidates)
        => Choose(context.Connection.RemoteIpAddress, candidates);

    public ServerRuntime? Choose(System.Net.IPAddress? client, ReadOnlySpan<ServerRuntime> candidates)
        => ClientAddressHash.TryHash(client, ipv4Bytes: 3, ipv6Bytes: 8, out var hash)
            ? RendezvousHash.Choose(hash, candidates)
            : WeightedRandom.Choose(candidates);
}
