using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Affinity;

/// <summary>
/// Whether a bound server may still take its bound clients: when Online and healthy (even at weight 0, like
/// HAProxy's persistence), or Draining and healthy until the drain timeout that started when draining began.
/// Offline serves nobody.
/// </summary>
internal static class AffinityBinding
{
    public static bool CanServeBound(ServerRuntime server, TimeSpan drainTimeout, DateTimeOffset now)
    {
        if (!server.Healthy)
        {
            return false;
        }

        return server.State switch
        {
            ServerState.Online => true,
            ServerState.Draining => server.DrainingSince is not { } since || now - since < drainTimeout,
            _ => false,
        };
    }

    public static AffinityLookup Evaluate(ServerRuntime bound, AffinityFailurePolicy onUnavailable, TimeSpan drainTimeout, DateTimeOffset now)
    {
        if (CanServeBound(bound, drainTimeout, now))
        {
            return new AffinityLookup(AffinityOutcome.Bound, bound);
        }

        return new AffinityLookup(
            onUnavailable == AffinityFailurePolicy.Fail ? AffinityOutcome.Reject : AffinityOutcome.Redistribute,
            bound);
    }
}
