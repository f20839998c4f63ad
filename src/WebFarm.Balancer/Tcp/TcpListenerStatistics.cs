namespace WebFarm.Balancer.Tcp;

/// <summary>
/// The counters of one TCP listener (all ports of its range), updated with Interlocked by its connections and read by
/// the admin API (<c>GET /api/tcp</c>) and /metrics.
/// </summary>
public sealed class TcpListenerStatistics
{
    private long _open;
    private long _total;
    private long _overLimit;
    private long _noServer;
    private long _idleClosed;
    private long _drainClosed;

    public TcpListenerStatistics(string listener, string farm, int maxConnections)
    {
        Listener = listener;
        Farm = farm;
        MaxConnections = maxConnections;
    }

    /// <summary>The listener's address as configured ("0.0.0.0:7000-7010").</summary>
    public string Listener { get; }

    public string Farm { get; }

    /// <summary>0 = unlimited.</summary>
    public int MaxConnections { get; }

    /// <summary>Client connections open now (counted from accept to close, connect phase included).</summary>
    public long Open => Volatile.Read(ref _open);

    /// <summary>Client connections accepted, those refused over the limit included.</summary>
    public long Total => Volatile.Read(ref _total);

    /// <summary>Accepted and closed at once because <see cref="MaxConnections"/> were open.</summary>
    public long OverLimit => Volatile.Read(ref _overLimit);

    /// <summary>Closed because no server could take them (none available, or every attempt to connect failed).</summary>
    public long NoServer => Volatile.Read(ref _noServer);

    /// <summary>Closed by the balancer after the farm's idle timeout without a byte either way.</summary>
    public long IdleClosed => Volatile.Read(ref _idleClosed);

    /// <summary>Closed by the balancer because their server was draining past the drain timeout, or set offline.</summary>
    public long DrainClosed => Volatile.Read(ref _drainClosed);

    /// <summary>Counts an accepted connection; false (and counted as over the limit) when the listener is full.</summary>
    internal bool TryOpen()
    {
        Interlocked.Increment(ref _total);
        var open = Interlocked.Increment(ref _open);
        if (MaxConnections > 0 && open > MaxConnections)
        {
            Interlocked.Decrement(ref _open);
            Interlocked.Increment(ref _overLimit);
            return false;
        }

        return true;
    }

    internal void OnClosed() => Interlocked.Decrement(ref _open);

    internal void OnNoServer() => Interlocked.Increment(ref _noServer);

    internal void OnIdleClosed() => Interlocked.Increment(ref _idleClosed);

    internal void OnDrainClosed() => Interlocked.Increment(ref _drainClosed);
}
