using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Pipeline;

/// <summary>
/// The second stage: a server with <c>MaxConcurrentRequests</c> lets the request in, queues it (FIFO, bounded in
/// length and time), or turns it away. Servers without a limit have no gate and cost nothing here.
/// </summary>
internal static class GateStage
{
    public static ValueTask<GateResult> EnterAsync(ServerConcurrencyGate? gate, FarmView view, CancellationToken clientGone)
    {
        if (gate is null)
        {
            return new(GateResult.Entered);
        }

        var limits = view.Options.Limits;
        return gate.EnterAsync(limits.QueueLength, limits.QueueTimeout, clientGone);
    }
}
