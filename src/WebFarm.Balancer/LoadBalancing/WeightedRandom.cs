using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.LoadBalancing;

/// <summary>Weighted random choice over candidates, used directly and as the fallback of the hash policies.</summary>
internal static class WeightedRandom
{
    public static ServerRuntime? Choose(ReadOnlySpan<ServerRuntime> candidates) => Choose(candidates, exclude: null);

    /// <summary>Picks with probability proportional to EffectiveWeight, never <paramref name="exclude"/>.</summary>
    public static ServerRuntime? Choose(ReadOnlySpan<ServerRuntime> candidates, ServerRuntime? exclude)
    {
        var total = 0.0;
        foreach (var server in candidates)
        {
            var weight = server.EffectiveWeight;
            if (weight > 0 && !ReferenceEquals(server, exclude))
            {
                total += weight;
            }
        }

        if (!(total > 0))
        {
            return null;
        }

        // Weights are read again below and may have changed in between (live weight changes); the last
        // positive-weight candidate absorbs any rounding or race so that a pick is always made.
        var target = Random.Shared.NextDouble() * total;
        ServerRuntime? last = null;
        foreach (var server in candidates)
        {
            var weight = server.EffectiveWeight;
            if (!(weight > 0) || ReferenceEquals(server, exclude))
            {
                continue;
            }

            last = server;
            target -= weight;
            if (target < 0)
            {
                return server;
            }
        }

        return last;
    }
}
