using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.LoadBalancing;

/// <summary>Weighted random: each server's chance is its weight over the total.</summary>
public sealed class RandomPolicy : IRequestIndependentPolicy
{
    public ServerRuntime? Choose(HttpContext context, ReadOnlySpan<ServerRuntime> candidates) => Choose(candidates);

    public ServerRuntime? Choose(ReadOnlySpan<ServerRuntime> candidates)
        => WeightedRandom.Choose(candidates);
}
