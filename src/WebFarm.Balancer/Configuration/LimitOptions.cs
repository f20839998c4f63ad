namespace WebFarm.Balancer.Configuration;

public sealed record LimitOptions
{
    /// <summary>Concurrent requests per server; 0 = unlimited. A server's own MaxConcurrentRequests overrides it.</summary>
    public int MaxConcurrentRequestsPerServer { get; init; }

    /// <summary>Requests that may wait (FIFO) for a full server; beyond it the answer is 503.</summary>
    public int QueueLength { get; init; } = 100;

    /// <summary>How long a queued request waits before a 503.</summary>
    public TimeSpan QueueTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
