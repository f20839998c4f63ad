namespace WebFarm.Balancer.Dashboard;

/// <summary>One point of a server's chart: rates over the sampling period that ended at <see cref="Time"/>.</summary>
/// <param name="P99Ms">Response-time p99 over the period; 0 when no response arrived.</param>
/// <param name="ErrorsPerSecond">5xx responses plus transport failures per second.</param>
public readonly record struct HistorySample(DateTimeOffset Time, double RequestsPerSecond, double P99Ms, double ErrorsPerSecond, long Requests, long Errors);
