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
    /// The weight policies use. Equal to <see cref="Weight"/> unless a warm-up (slow start) scales it down.
    /// </summary>
    public double EffectiveWeight => Weight * WarmupFactor;

    /// <summary>Slow-start multiplier in (0, 1]; 1 when no warm-up is in progress.</summary>
    public double WarmupFactor { get; set; } = 1.0;

    public ServerState State
    {
        get => (ServerState)Volatile.Read(ref _state);
        set => Volatile.Write(ref _state, (int)value);
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

    public override string ToString() => $"{Farm}/{Name} ({Address})";
}
