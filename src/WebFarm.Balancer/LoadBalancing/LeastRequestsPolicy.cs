using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.LoadBalancing;

/// <summary>
/// Fewest in-flight requests relative to weight (ARR's "least current request"). Servers with the same
/// load share traffic by weighted random, so an idle farm still spreads requests by weight instead of
/// sending everything to the first server.
/// </summary>
public sealed class LeastRequestsPolicy : IRequestIndependentPolicy
{
    public ServerRuntime? Choose(HttpContext context, ReadOnlySpan<ServerRuntime> candidates) => Choose(candidates);

    public ServerRuntime? Choose(ReadOnlySpan<ServerRuntime> candidates)
        => LowestScore.Choose(candidates, static server => server.InFlight / server.EffectiveWeight);
}
