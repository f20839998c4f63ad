using WebFarm.Balancer.Statistics;

namespace WebFarm.Balancer.Farms;

/// <summary>
/// The live view of one server in a farm: identity, live weight and state, in-flight count and statistics.
/// One instance lives as long as the server stays in the farm; config reloads that keep the server
/// (same farm, same name) keep the instance, so counters and state are not lost.
/// All mutable fields are read on the hot path without locks, so they are written with Volatile/Interlocked.
/// </summary>
public sealed class ServerRuntime
{
    private int _weight;
    private int _state;
    private int _inFlight;
    private int _healthy = 1;
    private long _drainingSinceTicks;
    private Health.HealthProbeResult? _lastHealthCheck;

    public ServerRuntime(string farm, string name, Uri address, int weight, bool backup, BalancerMetrics? metrics = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(address);
        ArgumentOutOfRangeException.ThrowIfNegative(weight);
        Farm = farm;
        Name = name;
        Address = address;
        _weight = weight;
        Backup = backup;
        Statistics = new ServerStatistics(farm, name, metrics);
    }

    public string Farm { get; }

    public string Name { get; }

    /// <summary>Base address of the server, e.g. http://10.0.0.5:5000/.</summary>
    public Uri Address { get; internal set; }

    /// <summary>Backup servers take traffic only when no primary server is available.</summary>
    public bool Backup { get; internal set; }

    /// <summary>Live weight; 0 means "takes no new requests by weight".</summary>
    public int Weight
    {
        get => Volatile.Read(ref _weight);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Volatile.Write(ref _weight, value);
        }
    }

    /// <summary>
    /// The weight policies use: <see cref="Weight"/> scaled by two factors, each in (0, 1] and written off the hot path
    /// (a request reads two doubles): <see cref="WarmupFactor"/> (slow start) and <see cref="LoadFactor"/> (the load
    /// the server reports, set by the farm controller). Equal to <see cref="Weight"/> when both are 1.
    /// </summary>
    public double EffectiveWeight => Weight * WarmupFactor * LoadFactor;

    /// <summary>Slow-start multiplier in (0, 1]; 1 when no warm-up is in progress.</summary>
    public double WarmupFactor { get; set; } = 1.0;

    /// <summary>
    /// Load multiplier in (0, 1]: 1 unless the farm controller lowers it from the server's reported load
    /// (<see cref="BalancerRuntime.SetLoadFactor"/>). Not an operator decision, so it is not saved, and never 0: load
    /// alone does not take a server out of rotation.
    /// </summary>
    public double LoadFactor { get; internal set; } = 1.0;

    public ServerState State
    {
        get => (ServerState)Volatile.Read(ref _state);
        set
        {
            // Remember when draining began: affinity keeps bound clients on a draining server only
            // until the farm's drain timeout, measured from this moment.
            var previous = (ServerState)Interlocked.Exchange(ref _state, (int)value);
            if (value == ServerState.Draining && previous != ServerState.Draining)
            {
                DrainingSince = DateTimeOffset.UtcNow;
            }
        }
    }

    /// <summary>The last periodic active health check of this server (null when it has none or before the first).</summary>
    public Health.HealthProbeResult? LastHealthCheck
    {
        get => Volatile.Read(ref _lastHealthCheck);
        internal set
        {
            Volatile.Write(ref _lastHealthCheck, value);
            if (value is not null)
            {
                HealthChecks.Add(value);
            }
        }
    }

    /// <summary>The latest periodic health checks, for the dashboard's server page.</summary>
    public Health.HealthCheckHistory HealthChecks { get; } = new();

    /// <summary>When the server last entered <see cref="ServerState.Draining"/> (null if it never did).</summary>
    public DateTimeOffset? DrainingSince
    {
        get
        {
            var ticks = Volatile.Read(ref _drainingSinceTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }

        internal set => Volatile.Write(ref _drainingSinceTicks, value?.UtcTicks ?? 0);
    }

    /// <summary>Health verdict (active and passive checks); true until a check says otherwise.</summary>
    public bool Healthy
    {
        get => Volatile.Read(ref _healthy) != 0;
        set => Volatile.Write(ref _healthy, value ? 1 : 0);
    }

    /// <summary>True when the server may take a new, unbound request.</summary>
    public bool IsAvailable => State == ServerState.Online && Healthy && Weight > 0;

    public int InFlight => Volatile.Read(ref _inFlight);

    public int IncrementInFlight() => Interlocked.Increment(ref _inFlight);

    public int DecrementInFlight() => Interlocked.Decrement(ref _inFlight);

    public ServerStatistics Statistics { get; }

    /// <summary>Scratch state owned by the smooth weighted round-robin policy (guarded by its lock).</summary>
    internal double RoundRobinCurrentWeight;

    // ---- Owned by the runtime (Farms/) and the forwarder; not part of the public surface. ----

    /// <summary>"scheme://host:port/base" without a trailing slash, so the forwarder only appends the request target.</summary>
    internal string BaseAddress { get; set; } = string.Empty;

    /// <summary>Idle connections of the direct HTTP/1.1 path, owned by the farm's transport (see FarmTransport.GetHttp1Pool).</summary>
    internal Forwarding.Http1.Http1ConnectionPool? Http1Pool;

    /// <summary>The options this server was created or last reloaded from.</summary>
    internal Configuration.ServerOptions? Options { get; set; }

    /// <summary>The weight the configuration gave; a live weight change survives reloads that do not change it.</summary>
    internal int ConfigWeight { get; set; }

    /// <summary>Added through the API rather than the config file: kept across reloads unless the file names it.</summary>
    internal bool AddedAtRuntime { get; set; }

    /// <summary>Per-server concurrency limit with its queue; null = unlimited.</summary>
    internal ServerConcurrencyGate? Gate { get; set; }

    /// <summary>Completed when a Draining server's in-flight count reaches zero (null when not draining).</summary>
    internal TaskCompletionSource? DrainCompletion;

    /// <summary>Slow start bookkeeping, touched only by the runtime's warm-up timer and state changes.</summary>
    internal bool WasAvailable = true;

    internal long WarmupStartTimestamp;

    public override string ToString() => $"{Farm}/{Name} ({Address})";
}
