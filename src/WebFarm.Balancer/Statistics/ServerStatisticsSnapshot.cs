using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Statistics;

/// <summary>
/// An immutable copy of one server's statistics and live state, for the admin API, the CLI and /metrics.
/// Counters are totals since the server joined the balancer; rates and percentiles are over the sliding
/// windows (requests/s: last 10 complete seconds; response time: last 60 seconds).
/// </summary>
/// <param name="Requests">Completed attempts: responses of any status plus transport failures.</param>
/// <param name="BytesIn">Request body bytes sent to the server.</param>
/// <param name="BytesOut">Response body bytes received from the server.</param>
public sealed record ServerStatisticsSnapshot(
    string Farm,
    string Server,
    ServerState State,
    bool Healthy,
    bool Backup,
    int Weight,
    double EffectiveWeight,
    int InFlight,
    long Requests,
    long Responses1xx,
    long Responses2xx,
    long Responses3xx,
    long Responses4xx,
    long Responses5xx,
    long ResponsesOther,
    long TransportFailures,
    long BytesIn,
    long BytesOut,
    double RequestsPerSecond,
    ResponseTimePercentiles ResponseTime,
    double ResponseTimeEwmaMs)
{
    /// <summary>The last periodic active health check, or null when the server has none (yet).</summary>
    public Health.HealthProbeResult? LastHealthCheck { get; init; }

    /// <summary>TCP connections made to the server (TCP farms; open ones are <see cref="InFlight"/>).</summary>
    public long Connections { get; init; }

    /// <summary>Captures <paramref name="server"/>'s state and statistics.</summary>
    public static ServerStatisticsSnapshot Capture(ServerRuntime server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return server.Statistics.Snapshot(server);
    }
}
