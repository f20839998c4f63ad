namespace WebFarm.Controller.Apps;

/// <summary>One row of GET /api/ps (`webfarm ps`): an app instance on a server, as its agent last reported it, with
/// the requests the balancer has in flight to it.</summary>
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
    string Detail)
{
    /// <summary>The release the instance runs (null for an app with a command of its own).</summary>
    public long? Release { get; init; }
}
