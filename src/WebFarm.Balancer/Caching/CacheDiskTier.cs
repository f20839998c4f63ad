using WebFarm.Balancer.Configuration;

namespace WebFarm.Balancer.Caching;

/// <summary>
/// A route cache's second tier: responses evicted from memory are written to a folder (<see cref="CacheFile"/>), looked
/// up on a memory miss and promoted back (the file is deleted: the entry is in memory again). An index in memory (key,
/// Vary values, size, least-recently-used order) keeps lookups and purges off the disk and the folder within
/// <see cref="CacheDiskOptions.MaxBytes"/>; it is rebuilt from the files' first bytes at start-up, so entries survive a
/// restart. One short lock guards the index; no I/O happens under it.
/// </summary>
internal sealed class CacheDiskTier
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, List<DiskEntry>> _byKey = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DiskEntry> _byFile = new(StringComparer.Ordinal);
    private readonly LinkedList<DiskEntry> _lru = new();
    private readonly CacheStatistics _statistics;
    private readonly TimeProvider _clock;
    private long _bytes;

    public CacheDiskTier(CacheDiskOptions options, CacheStatistics statistics, TimeProvider clock)
    {
        Options = options;
        _statistics = statistics;
        _clock = clock;
        Directory.CreateDirectory(options.Path);
        Load();
    }

    public CacheDiskOptions Options { get; }

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

    /// <summary>Writes entries evicted from memory, then deletes the least recently used files beyond MaxBytes.</summary>
    public void Spill(List<CachedResponse> evicted)
    {
        var now = _clock.GetUtcNow();
        foreach (var entry in evicted)
        {
            var age = entry.AgeSeconds(_clock);
            if (entry.Body.Length > Options.MaxBytes)
            {
                continue;
            }

            var name = CacheFile.NameOf(entry.Key, entry.VaryValues);
            long size;
            try
            {
                size = CacheFile.Write(Path.Combine(Options.Path, name), entry, age, now);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A full or read-only disk loses the entry, as an eviction without a disk tier would.
                continue;
            }

            lock (_lock)
            {
                Forget(name);
                Add(new DiskEntry(name, entry.Key, entry.VaryNames, entry.VaryValues, size));
            }

            _statistics.RecordDiskStored();
        }

        DeleteBeyondLimit();
    }

    /// <summary>
    /// The variant of <paramref name="key"/> the request's Vary values match, read back from its file (which is then
    /// deleted: the caller stores the entry in memory again); null when there is none or its file is corrupt (deleted).
    /// </summary>
    public CachedResponse? Take<TRequest>(string key, TRequest request)
        where TRequest : struct, LoadBalancing.IPolicyRequest
    {
        DiskEntry? found = null;
        lock (_lock)
        {
            if (!_byKey.TryGetValue(key, out var variants))
            {
                return null;
            }

            foreach (var variant in variants)
            {
                if (CachedResponse.VaryMatches(variant.VaryNames, variant.VaryValues, request))
                {
                    found = variant;
                    Forget(variant.FileName);
                    break;
                }
            }
        }

        if (found is null)
        {
            return null;
        }

        var path = Path.Combine(Options.Path, found.FileName);
        var entry = CacheFile.TryRead(path, _clock);
        Delete(path);
        if (entry is null || !string.Equals(entry.Key, key, StringComparison.Ordinal))
        {
            _statistics.RecordDiskCorrupt();
            return null;
        }

        _statistics.RecordDiskHit();
        return entry;
    }

    /// <summary>Deletes the files of every key <paramref name="matches"/> accepts; returns how many.</summary>
    public int Purge(Func<string, bool> matches)
    {
        List<DiskEntry>? removed = null;
        lock (_lock)
        {
            foreach (var (key, variants) in _byKey)
            {
                if (matches(key))
                {
                    (removed ??= []).AddRange(variants);
                }
            }

            if (removed is null)
            {
                return 0;
            }

            foreach (var entry in removed)
            {
                Forget(entry.FileName);
            }
        }

        foreach (var entry in removed)
        {
            Delete(Path.Combine(Options.Path, entry.FileName));
        }

        return removed.Count;
    }

    /// <summary>The index from the folder: stray temporary files and files whose start does not parse are deleted; the oldest written is the least recently used.</summary>
    private void Load()
    {
        var files = new List<FileInfo>();
        foreach (var file in new DirectoryInfo(Options.Path).EnumerateFiles())
        {
            if (file.Name.EndsWith(CacheFile.Extension, StringComparison.Ordinal))
            {
                files.Add(file);
            }
            else if (file.Name.EndsWith(CacheFile.TempExtension, StringComparison.Ordinal))
            {
                Delete(file.FullName);
            }
        }

        files.Sort((a, b) => b.LastWriteTimeUtc.CompareTo(a.LastWriteTimeUtc));
        foreach (var file in files)
        {
            if (!CacheFile.TryReadIdentity(file.FullName, out var key, out var varyNames, out var varyValues))
            {
                _statistics.RecordDiskCorrupt();
                Delete(file.FullName);
                continue;
            }

            lock (_lock)
            {
                var entry = new DiskEntry(file.Name, key, varyNames, varyValues, file.Length);
                if (!_byKey.TryGetValue(key, out var variants))
                {
                    variants = [];
                    _byKey[key] = variants;
                }

                variants.Add(entry);
                _byFile[file.Name] = entry;
                entry.Node = _lru.AddLast(entry);
                _bytes += entry.Size;
            }
        }

        DeleteBeyondLimit();
    }

    private void Add(DiskEntry entry)
    {
        if (!_byKey.TryGetValue(entry.Key, out var variants))
        {
            variants = [];
            _byKey[entry.Key] = variants;
        }

        variants.Add(entry);
        _byFile[entry.FileName] = entry;
        entry.Node = _lru.AddFirst(entry);
        Interlocked.Add(ref _bytes, entry.Size);
    }

    private void Forget(string fileName)
    {
        if (!_byFile.Remove(fileName, out var entry))
        {
            return;
        }

        _lru.Remove(entry.Node!);
        Interlocked.Add(ref _bytes, -entry.Size);
        var variants = _byKey[entry.Key];
        variants.Remove(entry);
        if (variants.Count == 0)
        {
            _byKey.Remove(entry.Key);
        }
    }

    private void DeleteBeyondLimit()
    {
        while (true)
        {
            DiskEntry oldest;
            lock (_lock)
            {
                if (Interlocked.Read(ref _bytes) <= Options.MaxBytes || _lru.Last is null)
                {
                    return;
                }

                oldest = _lru.Last.Value;
                Forget(oldest.FileName);
            }

            Delete(Path.Combine(Options.Path, oldest.FileName));
            _statistics.RecordDiskEvicted();
        }
    }

    private static void Delete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Gone already, or not ours to delete: the index no longer refers to it either way.
        }
    }

    private sealed class DiskEntry(string fileName, string key, string[] varyNames, string?[] varyValues, long size)
    {
        public string FileName { get; } = fileName;

        public string Key { get; } = key;

        public string[] VaryNames { get; } = varyNames;

        public string?[] VaryValues { get; } = varyValues;

        public long Size { get; } = size;

        public LinkedListNode<DiskEntry>? Node { get; set; }
    }
}
