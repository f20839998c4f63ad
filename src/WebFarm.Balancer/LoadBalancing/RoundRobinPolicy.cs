using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.LoadBalancing;

/// <summary>
/// Smooth weighted round robin, as in nginx: each pick adds every candidate's weight to its running
/// "current weight", picks the largest, and subtracts the total from the winner. Over any cycle of
/// sum(weights) picks each server gets exactly its weight, and heavy servers are interleaved with light
/// ones instead of receiving their share in a burst.
/// </summary>
/// <remarks>
/// The running weights live on <see cref="ServerRuntime.RoundRobinCurrentWeight"/> so they survive a config
/// reload that keeps the server. The update touches every candidate, so it is done under a lock; the
/// critical section is a short loop without allocations and is far cheaper than forwarding the request.
/// </remarks>
public sealed class RoundRobinPolicy : IRequestIndependentPolicy
{
    // One lock per policy, i.e. per farm, so farms do not contend with each other. After a reload the old
    // and new policy objects may briefly pick over the same ServerRuntime instances under different locks;
    // the worst outcome of that race is a slightly uneven cycle, never a wrong or missing pick.
    private readonly Lock _lock = new();

    public ServerRuntime? Choose(HttpContext context, ReadOnlySpan<ServerRuntime> candidates) => Choose(candidates);

    public ServerRuntime? Choose(ReadOnlySpan<ServerRuntime> candidates)
    {
        lock (_lock)
        {
            ServerRuntime? best = null;
            var total = 0.0;
            foreach (var server in candidates)
            {
                var weight = server.EffectiveWeight;
                if (!(weight > 0))
                {
                    continue;
                }

                server.RoundRobinCurrentWeight += weight;
                total += weight;
                if (best is null || server.RoundRobinCurrentWeight > best.RoundRobinCurrentWeight)
                {
                    best = server;
                }
            }

            if (best is not null)
            {
                best.RoundRobinCurrentWeight -= total;
            }

            return best;
        }
    }
}
