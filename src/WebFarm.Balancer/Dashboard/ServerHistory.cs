namespace WebFarm.Balancer.Dashboard;

/// <summary>
/// A server's last 15 minutes of <see cref="HistorySample"/>s, newest last. Written by the sampler only (one
/// writer), read by chart and overview requests under the same small lock.
/// </summary>
internal sealed class ServerHistory
{
    private readonly Lock _lock = new();
    private readonly HistorySample[] _ring;
    private long _count;

    public ServerHistory(int capacity) => _ring = new HistorySample[capacity];

    /// <summary>Totals at the previous sample, to turn counters into rates (owned by the sampler).</summary>
    public long LastRequests { get; set; } = -1;

    public long LastErrors { get; set; }

    public void Add(HistorySample sample)
    {
        lock (_lock)
        {
            _ring[(int)(_count % _ring.Length)] = sample;
            _count++;
        }
    }

    /// <summary>The samples taken at or after <paramref name="from"/>, oldest first.</summary>
    public List<HistorySample> Since(DateTimeOffset from)
    {
        lock (_lock)
        {
            var kept = (int)Math.Min(_count, _ring.Length);
            var list = new List<HistorySample>(kept);
            for (var i = _count - kept; i < _count; i++)
            {
                var sample = _ring[(int)(i % _ring.Length)];
                if (sample.Time >= from)
                {
                    list.Add(sample);
                }
            }

            return list;
        }
    }
}
