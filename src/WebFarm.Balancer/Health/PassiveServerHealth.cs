namespace WebFarm.Balancer.Health;

/// <summary>
/// One server's recent failures: a ring holding the timestamps of the last MaxFailures-1 failures. A new failure
/// trips the threshold when the failure MaxFailures-1 places back is still inside the window, i.e. MaxFailures
/// failures happened within it. Written with Interlocked only: failures arrive concurrently from many requests,
/// and an occasional lost update under a race only delays detection by one failure.
/// </summary>
internal sealed class PassiveServerHealth(int maxFailures)
{
    private readonly long[] _ring = new long[Math.Max(1, maxFailures - 1)];
    private readonly int _maxFailures = maxFailures;
    private long _count;
    private int _tripping;

    /// <summary>The pending reactivation, when no active check brings the server back.</summary>
    public ITimer? Reactivation;

    /// <summary>Records a failure at <paramref name="now"/>; true when it makes MaxFailures within <paramref name="window"/>.</summary>
    public bool RecordFailure(long now, long window)
    {
        if (_maxFailures == 1)
        {
            return true;
        }

        var slot = (int)((ulong)Interlocked.Increment(ref _count) % (ulong)_ring.Length);
        var previous = Interlocked.Exchange(ref _ring[slot], now);
        return previous != 0 && now - previous <= window;
    }

    /// <summary>Forgets past failures, so a server that comes back starts from a clean slate.</summary>
    public void Reset()
    {
        for (var i = 0; i < _ring.Length; i++)
        {
            Volatile.Write(ref _ring[i], 0);
        }
    }

    /// <summary>One caller wins the right to take the server out; the others skip.</summary>
    public bool TryBeginTrip() => Interlocked.CompareExchange(ref _tripping, 1, 0) == 0;

    public void EndTrip() => Volatile.Write(ref _tripping, 0);
}
