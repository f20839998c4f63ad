using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.LoadBalancing;

/// <summary>Shared selection for the "least loaded" policies: minimum score, ties by weighted random.</summary>
internal static class LowestScore
{
    /// <param name="score">Called only for candidates with a positive weight; a static lambda, so no allocation.</param>
    public static ServerRuntime? Choose(ReadOnlySpan<ServerRuntime> candidates, Func<ServerRuntime, double> score)
    {
        // First pass: the minimum score and the total weight of the servers that share it.
        var best = double.PositiveInfinity;
        var tiedWeight = 0.0;
        var tiedCount = 0;
        ServerRuntime? only = null;
        foreach (var server in candidates)
        {
            var weight = server.EffectiveWeight;
            if (!(weight > 0))
            {
                continue;
            }

            var s = score(server);
            if (s < best)
            {
                best = s;
                tiedWeight = weight;
                tiedCount = 1;
                only = server;
            }
            else if (s == best)
            {
                tiedWeight += weight;
                tiedCount++;
            }
        }

        if (tiedCount <= 1)
        {
            return only;
        }

        // Second pass: weighted random among the tied servers. Scores are recomputed; if a concurrent
        // request changed one in between, the last tied server seen absorbs the difference.
        var target = Random.Shared.NextDouble() * tiedWeight;
        ServerRuntime? last = null;
        foreach (var server in candidates)
        {
            var weight = server.EffectiveWeight;
            if (!(weight > 0) || score(server) != best)
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

        return last ?? only;
    }
}
