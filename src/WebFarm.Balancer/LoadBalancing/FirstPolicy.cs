using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.LoadBalancing;

/// <summary>
/// Priority order: always the first candidate (configuration order) with a positive weight. The others take
/// traffic only when the ones before them are unavailable (active/passive).
/// </summary>
public sealed class FirstPolicy : IRequestIndependentPolicy
{
    public ServerRuntime? Choose(HttpContext context, ReadOnlySpan<ServerRuntime> candidates) => Choose(candidates);

    public ServerRuntime? Choose(ReadOnlySpan<ServerRuntime> candidates)
    {
        foreach (var server in candidates)
        {
            if (server.EffectiveWeight > 0)
            {
                return server;
            }
        }

        return null;
    }
}
