using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Forwarding;
using WebFarm.Balancer.Routing;

namespace WebFarm.Balancer.Pipeline;

/// <summary>
/// One attempt as the pipeline hands it to a client adapter: the snapshot and route the request was matched with, the
/// farm's view and transport the attempt's lease holds, the chosen server and the exchange's cancellation.
/// </summary>
internal readonly record struct AttemptRequest(
    RuntimeSnapshot Snapshot,
    CompiledRoute Route,
    FarmView View,
    ServerRuntime Server,
    FarmTransport Transport,
    ExchangeCancellation Exchange,
    string RequestId);
