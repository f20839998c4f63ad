using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.LoadBalancing;

namespace WebFarm.Balancer.Affinity;

/// <summary>
/// Address affinity (NLB "Single" and "Class C"): the client's address, or its network (IPv4 /24, IPv6 /64),
/// picks a server by weighted rendezvous hashing over the farm's primary servers that are not Offline. Unhealthy
/// and draining servers stay in that set, so their clients come back to them once they are usable again and
/// nobody else moves. When the hashed server cannot take the client, Reject answers 503 and Redistribute sends
/// the client to the next server in its own rendezvous order that is available — the same one every time, so
/// the redistributed client is sticky too. No state is kept and nothing is sent to the client.
/// The configured weight is used, not the slow-start weight, so a warm-up does not move clients.
/// </summary>
public sealed class ClientAddressAffinityProvider : IAffinityProvider
{
    private readonly int _ipv4Bytes;
    private readonly int _ipv6Bytes;
    private readonly AffinityFailurePolicy _onUnavailable;
    private readonly TimeSpan _drainTimeout;
    private readonly TimeProvider _time;

    /// <param name="network">False: the full address (ClientIp); true: its /24 or /64 network (ClientNetwork).</param>
    public ClientAddressAffinityProvider(
        bool network,
        AffinityFailurePolicy onUnavailable = AffinityFailurePolicy.Redistribute,
        TimeSpan? drainTimeout = null,
        TimeProvider? time = null)
    {
        _ipv4Bytes = network ? 3 : 4;
        _ipv6Bytes = network ? 8 : 16;
        _onUnavailable = onUnavailable;
        _drainTimeout = drainTimeout ?? CookieAffinityProvider.DefaultDrainTimeout;
        _time = time ?? TimeProvider.System;
    }

    public AffinityLookup Lookup<TClient>(TClient client, IReadOnlyList<ServerRuntime> servers)
        where TClient : IAffinityClient
    {
        if (!ClientAddressHash.TryHash(client.RemoteAddress, _ipv4Bytes, _ipv6Bytes, out var key))
        {
            return AffinityLookup.Unbound;
        }

        var owner = Best(key, servers, requireAvailable: false, exclude: null);
        if (owner is null)
        {
            return AffinityLookup.Unbound;
        }

        var lookup = AffinityBinding.Evaluate(owner, _onUnavailable, _drainTimeout, _time);
        if (lookup.Outcome != AffinityOutcome.Redistribute)
        {
            return lookup;
        }

        var next = Best(key, servers, requireAvailable: true, exclude: owner);
        return next is null ? AffinityLookup.Unbound : new AffinityLookup(AffinityOutcome.Bound, next);
    }

    /// <summary>Nothing to do: the binding is a function of the address.</summary>
    public void Bind<TClient>(TClient client, ServerRuntime server, AffinityLookup previous)
        where TClient : IAffinityClient
    {
    }

    private static ServerRuntime? Best(ulong key, IReadOnlyList<ServerRuntime> servers, bool requireAvailable, ServerRuntime? exclude)
    {
        ServerRuntime? best = null;
        var bestScore = double.NegativeInfinity;
        for (var i = 0; i < servers.Count; i++)
        {
            var server = servers[i];
            if (server.Backup || server.State == ServerState.Offline || ReferenceEquals(server, exclude)
                || (requireAvailable && !server.IsAvailable))
            {
                continue;
            }

            var weight = server.Weight;
            if (weight <= 0)
            {
                continue;
            }

            var h = StableHash.ToUnitInterval(StableHash.Combine(key, StableHash.Hash(server.Name.AsSpan())));
            var score = -weight / Math.Log(h);
            if (score > bestScore)
            {
                bestScore = score;
                best = server;
            }
        }

        return best;
    }
}
