namespace WebFarm.Agent.Readiness;

/// <summary>How a start-up wait probes an instance. Immutable.</summary>
public sealed record ReadinessOptions
{
    /// <summary>Time between probes: the wait ends at most this long after the check first passes.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Bound on one probe. Generous: an app's first requests are slow (JIT, connection pools, caches).</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a running process may take to accept its first connection before the wait gives up on it.</summary>
    public TimeSpan ListenTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long an instance that answers may keep failing its check before it is reported unhealthy: long enough
    /// for a health endpoint that reports a dependency still warming up, short enough not to stall the farm.
    /// </summary>
    public TimeSpan FailingGrace { get; init; } = TimeSpan.FromSeconds(5);
}
