using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.LoadBalancing;

/// <summary>
/// Lowest expected wait (Application Center's response-time balancing): the moving average of the
/// server's response time times (in-flight + 1), divided by weight. A server without samples yet has an
/// average of 0 and so scores best: new or recovered servers get probed instead of starved.
/// Ties (e.g. several unprobed servers) are broken by weighted random.
/// </summary>
public sealed class LeastResponseTimePolicy : IRequestIndependentPolicy
{
    public ServerRuntime? Choose(HttpContext context, ReadOnlySpan<ServerRuntime> candidates) => Choose(candidates);

    public ServerRuntime? Choose(ReadOnlySpan<ServerRuntime> candidates)
        => LowestScore.Choose(
            candidates,
            static server => server.Statistics.ResponseTimeEwmaMs * (server.InFlight + 1) / server.EffectiveWeight);
}
