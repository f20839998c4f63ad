namespace WebFarm.Controller.Apps;

/// <summary>One row of GET /api/ps (`webfarm ps`): an app instance on a server, as its agent last reported it, with
/// the balancer's own figures for it: requests in flight, requests served, its moving average of response times and the load factor
/// its effective weight is scaled by (1 unless its app has `loadBalancing: reported`).</summary>
public sealed record ProcessInfo(
    string Server,
    string App,
    int Port,
    int? Pid,
    string State,
    bool Healthy,
    bool InRotation,
    DateTimeOffset? StartedAt,
    double? UptimeSeconds,
    double CpuPercent,
    long MemoryBytes,
    int InFlight,
    int Restarts,
    string Detail,
    double? ProbeLatencyMs,
    double? ResponseTimeMs,
    double LoadFactor,
    double EffectiveWeight,
    long Requests)
{
    /// <summary>The release the instance runs (null for an app with a command of its own).</summary>
    public long? Release { get; init; }
}
