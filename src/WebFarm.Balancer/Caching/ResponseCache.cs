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
    private CacheDiskTier? _disk;
    private long _bytes;

    /// <param name="disk">The route's disk tier, opened by the caller (<see cref="ResponseCaches"/> opens every route's
    /// folder before any route takes its settings); null without one.</param>
    public ResponseCache(CacheOptions options, CacheStatistics statistics, TimeProvider clock, CacheDiskTier? disk = null)
    {
        _options = options;
        _statistics = statistics;
        _bySpan = _entries.GetAlternateLookup<ReadOnlySpan<char>>();
        Clock = clock;
        _disk = disk;
    }

    /// <summary>The disk tier, when the route has one.</summary>
    public CacheDiskTier? Disk => Volatile.Read(ref _disk);

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

    /// <summary>New settings and the disk tier for them (the same one, or a folder opened anew when its folder or limit
    /// changed: the old folder's files stay where they are).</summary>
    public void Update(CacheOptions options, CacheDiskTier? disk)
    {
        Volatile.Write(ref _disk, disk);

        Volatile.Write(ref _options, options);
        List<CachedResponse>? evicted = null;
        lock (_lock)
        {
            Evict(options.MaxMemory, ref evicted);
        }

        Spill(evicted);
    }

    /// <summary>
    /// On a memory miss (Kestrel's path only: the front end does no disk I/O): the variant the request matches from the
    /// disk tier, promoted back to memory; null when the route has no disk tier or it holds no such entry.
    /// </summary>
    public CachedResponse? FindOnDisk<TRequest>(string key, TRequest request)
        where TRequest : struct, LoadBalancing.IPolicyRequest
    {
        var entry = Disk?.Take(key, request);
        if (entry is not null)
        {
            Store(entry, promoted: true);
        }

        return entry;
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
    public void Store(CachedResponse entry) => Store(entry, promoted: false);

    private void Store(CachedResponse entry, bool promoted)
    {
        var limit = Options.MaxMemory;
        if (entry.Size > limit)
        {
            return;
        }

        List<CachedResponse>? evicted = null;
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
            Evict(limit, ref evicted);
        }

        Spill(evicted);
        if (!promoted)
        {
            _statistics.RecordStored();
        }
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

    /// <summary>Removes every variant of the keys <paramref name="matches"/> accepts, in memory and on disk; returns how many were removed.</summary>
    public int Purge(Func<string, bool> matches)
    {
        var removed = Disk?.Purge(matches) ?? 0;
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
                _statistics.RecordPurged(removed);
                return removed;
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

    /// <summary>Evicts the least recently used entries down to <paramref name="limit"/>, collecting them for the disk tier (written after the lock).</summary>
    private void Evict(long limit, ref List<CachedResponse>? evicted)
    {
        while (_bytes > limit && _lru.Last is { } oldest)
        {
            var entry = oldest.Value;
            if (_disk is not null)
            {
                (evicted ??= []).Add(entry);
            }

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

    private void Spill(List<CachedResponse>? evicted)
    {
        if (evicted is not null)
        {
            Disk?.Spill(evicted);
        }
    }

    private void Unlink(CachedResponse entry)
    {
        _lru.Remove(entry.Node!);
        entry.Node = null;
        Interlocked.Add(ref _bytes, -entry.Size);
    }
}
