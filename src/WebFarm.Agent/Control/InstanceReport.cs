namespace WebFarm.Agent.Control;

/// <summary>One app instance as its agent reports it with every heartbeat (`webfarm ps` shows these).</summary>
/// <param name="App">The app's name.</param>
/// <param name="Port">The port it listens on (0 when no port of its range was free).</param>
/// <param name="ProcessId">Its pid, null when no process runs (crashed, backing off, no port).</param>
/// <param name="State">The supervisor's state: starting, running, crashed, backingOff, stopping, stopped, failed.</param>
/// <param name="Healthy">Whether its last health probe (GET the app's health path) passed.</param>
/// <param name="Detail">Why it is in its state ("GET /health answered 200", "no free port in 5000-5009").</param>
/// <param name="StartedAt">When its current process started.</param>
/// <param name="Restarts">Restarts after crashes.</param>
/// <param name="RestartToken">The last restart request it carried out (see <see cref="DesiredApp.RestartToken"/>).</param>
/// <param name="CpuPercent">The process's CPU use since the previous heartbeat, in % of one core.</param>
/// <param name="MemoryBytes">Its resident memory.</param>
/// <param name="ProbeLatencyMs">Its recent latency as the agent measures it on its own machine (no network between):
/// the health probe's round trip, a moving average over the last probes; null before the first answer.</param>
public sealed record InstanceReport(
    string App,
    int Port,
    int? ProcessId,
    string State,
    bool Healthy,
    string Detail,
    DateTimeOffset? StartedAt,
    int Restarts,
    string? RestartToken,
    double CpuPercent,
    long MemoryBytes,
    double? ProbeLatencyMs = null)
{
    /// <summary>The release it runs (see <see cref="DesiredApp.Release"/>), null for an app with a command of its own.</summary>
    public long? Release { get; init; }
}
