namespace WebFarm.Agent.Trace;

/// <summary>
/// The last <see cref="Capacity"/> messages of an agent (WFF kept a bounded trace per server): older ones are
/// overwritten, so a chatty app costs a fixed amount of memory. Thread-safe (output readers, the agent loop).
/// </summary>
public sealed class TraceRing
{
    public const int DefaultCapacity = 1000;

    private readonly TraceEntry?[] _entries;
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private long _next = 1;
    private long _clearedBefore = 1;

    public TraceRing(int capacity = DefaultCapacity, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _entries = new TraceEntry?[capacity];
        _time = time ?? TimeProvider.System;
    }

    public int Capacity => _entries.Length;

    /// <summary>The sequence of the newest entry (0 when none was ever added).</summary>
    public long LastSequence
    {
        get
        {
            lock (_lock)
            {
                return _next - 1;
            }
        }
    }

    public void Add(string source, string message)
    {
        lock (_lock)
        {
            var sequence = _next++;
            _entries[sequence % _entries.Length] = new TraceEntry(sequence, _time.GetUtcNow(), source, message);
        }
    }

    /// <summary>The kept entries after <paramref name="after"/>, oldest first, at most <paramref name="max"/>.</summary>
    public List<TraceEntry> Since(long after, int max = int.MaxValue)
    {
        lock (_lock)
        {
            var first = Math.Max(Math.Max(after + 1, _next - _entries.Length), _clearedBefore);
            var list = new List<TraceEntry>((int)Math.Clamp(_next - first, 0, Math.Min(max, _entries.Length)));
            for (var s = first; s < _next && list.Count < max; s++)
            {
                list.Add(_entries[s % _entries.Length]!);
            }

            return list;
        }
    }

    /// <summary>Forgets every entry up to <paramref name="upTo"/> (`webfarm trace --clear`); later ones stay.</summary>
    public void Clear(long upTo)
    {
        lock (_lock)
        {
            _clearedBefore = Math.Max(_clearedBefore, Math.Min(upTo, _next - 1) + 1);
        }
    }
}
