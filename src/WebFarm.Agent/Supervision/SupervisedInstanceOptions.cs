namespace WebFarm.Agent.Supervision;

/// <summary>What to run for one instance and how to treat it. Immutable once the instance is created.</summary>
public sealed record SupervisedInstanceOptions
{
    /// <summary>The instance's name, e.g. "web1"; also its server name in the balancer.</summary>
    public required string Name { get; init; }

    public required AppLaunch Launch { get; init; }

    /// <summary>The loopback port the instance listens on (ASPNETCORE_URLS); kept across restarts.</summary>
    public required int Port { get; init; }

    /// <summary>
    /// The address the instance listens on (ASPNETCORE_URLS): loopback for `webfarm up`, where the balancer is in the
    /// same machine; the machine's own address (or 0.0.0.0) for an agent's app, which a balancer elsewhere reaches.
    /// </summary>
    public string BindAddress { get; init; } = "127.0.0.1";

    /// <summary>Extra environment variables (WEBFARM_*); ASPNETCORE_URLS is set from <see cref="Port"/>.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public RestartBackoff Backoff { get; init; } = RestartBackoff.Default;

    /// <summary>How long the drain callback may take before the stop goes on without it.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long SIGTERM may take before SIGKILL.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Called on a stop request while the process still runs, before SIGTERM: take the instance out of
    /// rotation and wait for its in-flight requests (the balancer's drain). Null: no drain.
    /// </summary>
    public Func<SupervisedInstance, CancellationToken, Task>? DrainAsync { get; init; }

    /// <summary>Called with every line the child writes (stdout and stderr, from their reader threads); must not block.</summary>
    public Action<string>? OutputObserver { get; init; }

    /// <summary>How many lines of the child's output to keep for diagnostics.</summary>
    public int OutputLines { get; init; } = 50;

    /// <summary>
    /// The clock that measures how long a process ran (against <see cref="RestartBackoff.StablePeriod"/>); tests
    /// substitute one they move by hand, so that "ran long enough" does not depend on the machine's speed.
    /// </summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
