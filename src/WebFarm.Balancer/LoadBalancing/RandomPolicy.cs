using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.LoadBalancing;

/// <summary>Weighted random: each server's chance is its weight over the total.</summary>
public sealed class RandomPolicy : ILoadBalancingPolicy
{
    public ServerRuntime? Choose(HttpContext context, ReadOnlySpan<ServerRuntime> candidates)
        => WeightedRandom.Choose(candidates);
}
