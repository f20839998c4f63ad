namespace WebFarm.Balancer.Configuration;

/// <summary>Active health checks (implemented under Health/).</summary>
public sealed record HealthCheckOptions
{
    /// <summary>Path ("/healthz") appended to the server address, or an absolute URL.</summary>
    public string Path { get; init; } = "/healthz";

    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);

    public StatusCodeSet ExpectedStatus { get; init; } = StatusCodeSet.Parse("200-399");

    /// <summary>Text that must appear in the (bounded) response body; null = not checked.</summary>
    public string? ExpectedBody { get; init; }

    /// <summary>Consecutive successes to become healthy.</summary>
    public int Rise { get; init; } = 2;

    /// <summary>Consecutive failures to become unhealthy.</summary>
    public int Fall { get; init; } = 2;

    /// <summary>Host header for the probe; null = the server address's host.</summary>
    public string? Host { get; init; }

    /// <summary>"1.1" or "2"; independent of the farm's traffic version.</summary>
    public string HttpVersion { get; init; } = "1.1";

    /// <summary>Auto: an HTTP check on HTTP farms, a TCP connect on TCP farms.</summary>
    public HealthCheckType Type { get; init; } = HealthCheckType.Auto;
}
