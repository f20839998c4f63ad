using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.LoadBalancing;

/// <summary>
/// Consistent hash of the client's address, or of its first bytes (<see cref="ClientIpPolicy"/>,
/// <see cref="ClientNetworkPolicy"/>). Without a remote address (e.g. in-process transports) it falls back to
/// weighted random. It reads only the client's address, so it also chooses for a TCP connection
/// (<see cref="IClientAddressPolicy"/>).
/// </summary>
public abstract class ClientAddressPolicy : RequestReadingPolicy, IClientAddressPolicy
{
    private readonly int _ipv4Bytes;
    private readonly int _ipv6Bytes;

    private protected ClientAddressPolicy(int ipv4Bytes, int ipv6Bytes)
    {
        _ipv4Bytes = ipv4Bytes;
        _ipv6Bytes = ipv6Bytes;
    }

    public ServerRuntime? Choose(System.Net.IPAddress? client, ReadOnlySpan<ServerRuntime> candidates)
        => ClientAddressHash.TryHash(client, _ipv4Bytes, _ipv6Bytes, out var hash)
            ? RendezvousHash.Choose(hash, candidates)
            : WeightedRandom.Choose(candidates);

    internal sealed override ServerRuntime? Choose<TRequest>(in TRequest request, ReadOnlySpan<ServerRuntime> candidates)
        => Choose(request.RemoteAddress, candidates);
}
