namespace WebFarm.Balancer.Statistics;

/// <summary>Response-time percentiles in milliseconds over a sliding window; all 0 when <see cref="Samples"/> is 0.</summary>
public readonly record struct ResponseTimePercentiles(double P50Ms, double P95Ms, double P99Ms, long Samples)
{
    internal static ResponseTimePercentiles From(ReadOnlySpan<long> bins, long total) => new(
        LatencyBins.PercentileMs(bins, total, 0.50),
        LatencyBins.PercentileMs(bins, total, 0.95),
        LatencyBins.PercentileMs(bins, total, 0.99),
        total);
}
