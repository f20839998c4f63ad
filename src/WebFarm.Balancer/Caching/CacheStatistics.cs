namespace WebFarm.Balancer.Caching;

/// <summary>The response caches' counters, balancer-wide (written with Interlocked, read for /metrics).</summary>
public sealed class CacheStatistics
{
    private long _hits;
    private long _misses;
    private long _stale;
    private long _revalidated;
    private long _stored;
    private long _evicted;
    private long _purged;
    private long _collapsed;
    private long _waiting;
    private long _diskHits;
    private long _diskStored;
    private long _diskEvicted;
    private long _diskCorrupt;

    /// <summary>Answered from a fresh copy (304s to conditional requests included).</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Went upstream for a full response (nothing stored, stale without a validator, or the request asked to bypass).</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Answered from a stale copy because no server could answer (stale-if-error).</summary>
    public long Stale => Interlocked.Read(ref _stale);

    /// <summary>A stale copy confirmed by the server's 304 and served.</summary>
    public long Revalidated => Interlocked.Read(ref _revalidated);

    public long Stored => Interlocked.Read(ref _stored);

    /// <summary>Entries removed to stay within MaxMemory.</summary>
    public long Evicted => Interlocked.Read(ref _evicted);

    /// <summary>Entries removed through the admin API's purge.</summary>
    public long Purged => Interlocked.Read(ref _purged);

    /// <summary>Requests that waited for another request's fetch of the same key instead of going upstream.</summary>
    public long Collapsed => Interlocked.Read(ref _collapsed);

    /// <summary>Requests waiting right now for another request's fetch of their key.</summary>
    public long Waiting => Interlocked.Read(ref _waiting);

    /// <summary>Memory misses answered from the disk tier (the entry was promoted back to memory).</summary>
    public long DiskHits => Interlocked.Read(ref _diskHits);

    /// <summary>Entries evicted from memory and written to the disk tier.</summary>
    public long DiskStored => Interlocked.Read(ref _diskStored);

    /// <summary>Files deleted to stay within the disk tier's MaxBytes.</summary>
    public long DiskEvicted => Interlocked.Read(ref _diskEvicted);

    /// <summary>Files found corrupt or truncated (deleted; the request was a miss).</summary>
    public long DiskCorrupt => Interlocked.Read(ref _diskCorrupt);

    internal void RecordDiskHit() => Interlocked.Increment(ref _diskHits);

    internal void RecordDiskStored() => Interlocked.Increment(ref _diskStored);

    internal void RecordDiskEvicted() => Interlocked.Increment(ref _diskEvicted);

    internal void RecordDiskCorrupt() => Interlocked.Increment(ref _diskCorrupt);

    internal void EnterWait() => Interlocked.Increment(ref _waiting);

    internal void ExitWait() => Interlocked.Decrement(ref _waiting);

    internal void RecordHit() => Interlocked.Increment(ref _hits);

    internal void RecordMiss() => Interlocked.Increment(ref _misses);

    internal void RecordStale() => Interlocked.Increment(ref _stale);

    internal void RecordRevalidated() => Interlocked.Increment(ref _revalidated);

    internal void RecordStored() => Interlocked.Increment(ref _stored);

    internal void RecordEvicted() => Interlocked.Increment(ref _evicted);

    internal void RecordPurged(int count) => Interlocked.Add(ref _purged, count);

    internal void RecordCollapsed() => Interlocked.Increment(ref _collapsed);
}
