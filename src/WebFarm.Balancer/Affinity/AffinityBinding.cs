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
    /// <remarks>
    /// Reads the clock only for a Draining server: every bound request asks, and DateTimeOffset.UtcNow was 0.24% of the
    /// balancer's core in bench/balancer's webfarm-resilient (perf, 2026-12-06) for an answer only draining needs.
    /// </remarks>
    public static bool CanServeBound(ServerRuntime server, TimeSpan drainTimeout, TimeProvider time)
    {
        if (!server.Healthy)
        {
            return false;
        }

        return server.State switch
        {
            ServerState.Online => true,
            ServerState.Draining => server.DrainingSince is not { } since || time.GetUtcNow() - since < drainTimeout,
            _ => false,
        };
    }

    public static AffinityLookup Evaluate(ServerRuntime bound, AffinityFailurePolicy onUnavailable, TimeSpan drainTimeout, TimeProvider time)
    {
        if (CanServeBound(bound, drainTimeout, time))
        {
            return new AffinityLookup(AffinityOutcome.Bound, bound);
        }

        return new AffinityLookup(
            onUnavailable == AffinityFailurePolicy.Fail ? AffinityOutcome.Reject : AffinityOutcome.Redistribute,
            bound);
    }
}
