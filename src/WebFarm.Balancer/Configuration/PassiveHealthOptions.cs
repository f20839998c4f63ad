namespace WebFarm.Balancer.Configuration;

/// <summary>Live-traffic health (implemented under Health/).</summary>
public sealed record PassiveHealthOptions
{
    /// <summary>Response statuses that count as failures (e.g. "500,502-504"); null = only transport failures count.</summary>
    public StatusCodeSet? FailureStatus { get; init; }

    public int MaxFailures { get; init; } = 3;

    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Without active checks, an unhealthy server comes back after this period.</summary>
    public TimeSpan ReactivationPeriod { get; init; } = TimeSpan.FromSeconds(10);
}
