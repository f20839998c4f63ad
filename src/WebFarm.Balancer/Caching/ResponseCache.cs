using WebFarm.Balancer.Configuration;

namespace WebFarm.Balancer.Caching;

/// <summary>
/// One route's responses in memory: primary key → its variants (one per set of Vary values), a least-recently-used
/// list with the bytes accounted against <see cref="CacheOptions.MaxMemory"/>, and the fetches in progress that other
/// requests for the same key wait for (request collapsing, as nginx's proxy_cache_lock). One short lock guards it all;
/// no I/O happens under it.
/// </summary>
internal sealed class ResponseCache
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, List<CachedResponse>> _entries = new(StringComparer.Ordinal);

    // The same dictionary looked up by a key the front end wrote into a buffer (no string per request).
    private readonly Dictionary<string, List<CachedResponse>>.AlternateLookup<ReadOnlySpan<char>> _bySpan;
    private readonly LinkedList<CachedResponse> _lru = new();
    private readonly Dictionary<string, TaskCompletionSource> _fetches = new(StringComparer.Ordinal);
    private readonly CacheStatistics _statistics;
    private CacheOptions _options;
    private long _bytes;

    public ResponseCache(CacheOptions options, CacheStatistics statistics, TimeProvider clock)
    {
        _options = options;
        _statistics = statistics;
        _bySpan = _entries.GetAlternateLookup<ReadOnlySpan<char>>();
        Clock = clock;
    }

    /// <summary>The route's current settings (a reload that keeps the route replaces them and keeps the entries).</summary>
    public CacheOptions Options => Volatile.Read(ref _options);

    public TimeProvider Clock { get; }

    public CacheStatistics Statistics => _statistics;

    public long Bytes => Interlocked.Read(ref _bytes);

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _lru.Count;
            }
        }
    }

    public void Update(CacheOptions options)
    {
        Volatile.Write(ref _options, options);
        lock (_lock)
        {
            Evict(options.MaxMemory);
        }
    }

    /// <summary>The variant of <paramref name="key"/> whose Vary values the request matches, fresh or not; marks it used.</summary>
    public CachedResponse? Find<TRequest>(ReadOnlySpan<char> key, TRequest request)
        where TRequest : struct, LoadBalancing.IPolicyRequest
    {
        lock (_lock)
        {
            if (!_bySpan.TryGetValue(key, out var variants))
            {
                return null;
            }

            foreach (var entry in variants)
            {
                if (entry.MatchesVary(request))
                {
                    _lru.Remove(entry.Node!);
                    _lru.AddFirst(entry.Node!);
                    return entry;
                }
            }

            return null;
        }
    }

    /// <summary>Stores <paramref name="entry"/> in place of the variant with the same Vary values, then evicts down to the limit.</summary>
    public void Store(CachedResponse entry)
    {
        var limit = Options.MaxMemory;
        if (entry.Size > limit)
        {
            return;
        }

        lock (_lock)
        {
            if (!_entries.TryGetValue(entry.Key, out var variants))
            {
                variants = [];
                _entries[entry.Key] = variants;
            }

            for (var i = 0; i < variants.Count; i++)
            {
                if (SameVary(variants[i], entry))
                {
                    Unlink(variants[i]);
                    variants.RemoveAt(i);
                    break;
                }
            }

            variants.Add(entry);
            entry.Node = _lru.AddFirst(entry);
            Interlocked.Add(ref _bytes, entry.Size);
            Evict(limit);
        }

        _statistics.RecordStored();
    }

    /// <summary>
    /// Starts a fetch of <paramref name="key"/>: true when the caller is the one to fetch it (and must call
    /// <see cref="EndFetch"/>); false with the fetch in progress to wait for.
    /// </summary>
    public bool TryBeginFetch(string key, out Task inProgress)
    {
        lock (_lock)
        {
            if (_fetches.TryGetValue(key, out var running))
            {
                inProgress = running.Task;
                return false;
            }

            _fetches[key] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            inProgress = Task.CompletedTask;
            return true;
        }
    }

    public void EndFetch(string key)
    {
        TaskCompletionSource? done;
        lock (_lock)
        {
            _fetches.Remove(key, out done);
        }

        done?.TrySetResult();
    }

    /// <summary>Removes every variant of the keys <paramref name="matches"/> accepts; returns how many were removed.</summary>
    public int Purge(Func<string, bool> matches)
    {
        var removed = 0;
        lock (_lock)
        {
            List<string>? keys = null;
            foreach (var key in _entries.Keys)
            {
                if (matches(key))
                {
                    (keys ??= []).Add(key);
                }
            }

            if (keys is null)
            {
                return 0;
            }

            foreach (var key in keys)
            {
                _entries.Remove(key, out var variants);
                foreach (var entry in variants!)
                {
                    Unlink(entry);
                    removed++;
                }
            }
        }

        _statistics.RecordPurged(removed);
        return removed;
    }

    private static bool SameVary(CachedResponse a, CachedResponse b)
    {
        if (a.VaryNames.Length != b.VaryNames.Length)
        {
            return false;
        }

        for (var i = 0; i < a.VaryNames.Length; i++)
        {
            if (!string.Equals(a.VaryNames[i], b.VaryNames[i], StringComparison.OrdinalIgnoreCase) || !string.Equals(a.VaryValues[i], b.VaryValues[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private void Evict(long limit)
    {
        while (_bytes > limit && _lru.Last is { } oldest)
        {
            var entry = oldest.Value;
            Unlink(entry);
            var variants = _entries[entry.Key];
            variants.Remove(entry);
            if (variants.Count == 0)
            {
                _entries.Remove(entry.Key);
            }

            _statistics.RecordEvicted();
        }
    }

    private void Unlink(CachedResponse entry)
    {
        _lru.Remove(entry.Node!);
        entry.Node = null;
        Interlocked.Add(ref _bytes, -entry.Size);
    }
}
