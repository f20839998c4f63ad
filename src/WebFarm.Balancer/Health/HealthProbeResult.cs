namespace WebFarm.Balancer.Health;

/// <summary>The outcome of one health probe (ARR's "Verify URL" row).</summary>
/// <param name="Time">When the probe started.</param>
/// <param name="Url">What was probed.</param>
/// <param name="StatusCode">The response status, or null when no response arrived.</param>
/// <param name="Latency">From sending the request to the end of the (bounded) body read, or to the failure.</param>
/// <param name="BodyExcerpt">The first characters of the body, control characters replaced; empty without a body.</param>
/// <param name="Healthy">The verdict.</param>
/// <param name="Reason">Why, in a few words ("status 500 not in 200-399", "timed out after 2s").</param>
public sealed record HealthProbeResult(
    DateTimeOffset Time,
    Uri Url,
    int? StatusCode,
    TimeSpan Latency,
    string BodyExcerpt,
    bool Healthy,
    string Reason)
{
    /// <summary><see cref="Latency"/> in milliseconds, for JSON and tables.</summary>
    public double LatencyMs => Math.Round(Latency.TotalMilliseconds, 1);
}
