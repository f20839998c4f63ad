using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.LoadBalancing;

/// <summary>
/// Power of two choices: two distinct weighted-random picks, and the one with fewer in-flight requests per
/// unit of weight wins (the first pick on a tie). Nearly as balanced as least-requests, without scanning for
/// a global minimum that every balancer would then herd onto.
/// </summary>
public sealed class PowerOfTwoChoicesPolicy : IRequestIndependentPolicy
{
    public ServerRuntime? Choose(HttpContext context, ReadOnlySpan<ServerRuntime> candidates) => Choose(candidates);

    public ServerRuntime? Choose(ReadOnlySpan<ServerRuntime> candidates)
    {
        var first = WeightedRandom.Choose(candidates);
        if (first is null)
        {
            return null;
        }

        var second = WeightedRandom.Choose(candidates, exclude: first);
        if (second is null)
        {
            return first;
        }

        // Compare in-flight/weight by cross-multiplying (weights are positive here).
        return second.InFlight * first.EffectiveWeight < first.InFlight * second.EffectiveWeight ? second : first;
    }
}
