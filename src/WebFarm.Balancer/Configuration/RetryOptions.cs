namespace WebFarm.Balancer.Configuration;

public sealed record RetryOptions
{
    /// <summary>Attempts per request, the first included; 1 disables retries.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>Idempotent requests with a body up to this size (Content-Length) are buffered so they can be resent.</summary>
    public int MaxBufferedBody { get; init; } = 65536;
}
