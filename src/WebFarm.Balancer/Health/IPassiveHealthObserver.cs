using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Health;

/// <summary>
/// Live-traffic health: the forwarder reports every attempt's outcome; the observer decides when a server
/// leaves rotation (sets <see cref="ServerRuntime.Healthy"/> false and raises "failed") and when it may come back.
/// Called on the hot path: must be cheap and must not block.
/// </summary>
public interface IPassiveHealthObserver
{
    /// <summary>A response arrived from <paramref name="server"/> with <paramref name="statusCode"/>.</summary>
    void OnResponse(ServerRuntime server, int statusCode);

    /// <summary>The attempt failed at the transport level (refused, reset, timeout, garbage).</summary>
    void OnTransportFailure(ServerRuntime server, Exception? error);
}
