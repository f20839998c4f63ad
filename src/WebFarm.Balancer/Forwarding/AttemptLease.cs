using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Forwarding;

/// <summary>
/// What one attempt holds while it runs, taken and given back the same way on both request paths (Kestrel's and the
/// front end's): the farm transport (kept from retirement by a reload), the server's in-flight count, the exchange's
/// cancellation and, when the server has a limit, its concurrency slot.
/// </summary>
internal readonly struct AttemptLease
{
    private readonly ServerRuntime _server;
    private readonly ServerConcurrencyGate? _gate;

    private AttemptLease(ServerRuntime server, ServerConcurrencyGate? gate, FarmTransport transport, ExchangeCancellation exchange)
    {
        _server = server;
        _gate = gate;
        Transport = transport;
        Exchange = exchange;
    }

    public FarmTransport Transport { get; }

    public ExchangeCancellation Exchange { get; }

    /// <summary>
    /// Starts an attempt on <paramref name="server"/>, holding <paramref name="gate"/> (already entered, or null).
    /// <paramref name="view"/> is replaced by the farm's current view when a reload retired the transport it named.
    /// False when the farm's current view still names the retired transport: no later view will replace it because a
    /// reload removed the farm (or the balancer is being disposed), so the caller answers
    /// <see cref="ForwardingFailure.FarmRemoved"/> and gives back the gate slot itself; nothing else is held.
    /// </summary>
    public static bool TryBegin(FarmRuntime farm, ref FarmView view, ServerRuntime server, ServerConcurrencyGate? gate, CancellationToken clientAborted, out AttemptLease lease)
    {
        var transport = view.Transport;
        while (!transport.TryAcquire())
        {
            // A reload retired the transport since this request read its view. Views are published before what they
            // replace is retired (docs/architecture.md, invariant 3), so a kept farm's current view names the new
            // transport; one that still names the retired transport belongs to a removed farm and never changes.
            // Looking again would spin forever on a data-plane thread.
            var current = farm.View;
            if (ReferenceEquals(current.Transport, transport))
            {
                lease = default;
                return false;
            }

            view = current;
            transport = current.Transport;
        }

        server.IncrementInFlight();
        lease = new AttemptLease(server, gate, transport, ExchangeCancellation.Rent(clientAborted, transport.Timeouts.ResponseHeaders));
        return true;
    }

    /// <summary>Why a server's gate turned a request away (the 503's text).</summary>
    public static string GateRejection(ServerRuntime server, ServerConcurrencyGate gate, FarmRuntime farm, LimitOptions limits, GateResult result)
    {
        var why = result == GateResult.QueueFull
            ? $"its queue of {limits.QueueLength} is full"
            : $"no slot freed within {DurationParser.Format(limits.QueueTimeout)}";
        return $"WebFarm: server '{server.Name}' in farm '{farm.Name}' is at its limit of {gate.Limit} concurrent requests and {why}";
    }

    public void End(BalancerRuntime runtime)
    {
        Exchange.Return();
        Transport.Release();
        _gate?.Release();
        runtime.OnRequestEnded(_server);
    }
}
