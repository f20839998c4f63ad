using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.LoadBalancing;

/// <summary>
/// Consistent hash of the client's address, or of its first bytes (<see cref="ClientIpPolicy"/>,
/// <see cref="ClientNetworkPolicy"/>). Without a remote address (e.g. in-process transports) it falls back to
/// weighted random.
/// </summary>
public abstract class ClientAddressPolicy : RequestReadingPolicy
{
    private readonly int _ipv4Bytes;
    private readonly int _ipv6Bytes;

    private protected ClientAddressPolicy(int ipv4Bytes, int ipv6Bytes)
    {
        _ipv4Bytes = ipv4Bytes;
        _ipv6Bytes = ipv6Bytes;
    }

    internal sealed override ServerRuntime? Choose<TRequest>(in TRequest request, ReadOnlySpan<ServerRuntime> candidates)
        => ClientAddressHash.TryHash(request.RemoteAddress, _ipv4Bytes, _ipv6Bytes, out var hash)
            ? RendezvousHash.Choose(hash, candidates)
            : WeightedRandom.Choose(candidates);
}
