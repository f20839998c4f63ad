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
public sealed class RoundRobinPolicy : ILoadBalancingPolicy
{
    // Shared by all instances: after a reload the old and new policy objects may briefly run side by side
    // over the same ServerRuntime instances, and their scratch state must not be updated concurrently.
    private static readonly Lock s_lock = new();

    public ServerRuntime? Choose(HttpContext context, ReadOnlySpan<ServerRuntime> candidates)
    {
        lock (s_lock)
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
