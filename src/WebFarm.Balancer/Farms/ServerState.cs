namespace WebFarm.Balancer.Farms;

/// <summary>
/// The administrative state of a server, set by an operator (or the farm controller).
/// Health is tracked separately: a server can be Online and unhealthy.
/// </summary>
public enum ServerState
{
    /// <summary>Takes new requests (when healthy).</summary>
    Online = 0,

    /// <summary>Takes no new requests; in-flight ones (and, with affinity, bound clients) finish.</summary>
    Draining = 1,

    /// <summary>Takes no requests at all.</summary>
    Offline = 2,
}
