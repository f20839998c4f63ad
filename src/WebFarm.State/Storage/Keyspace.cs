namespace WebFarm.State.Storage;

/// <summary>
/// The key dictionary plus two dense arrays (all keys, keys with a TTL) that make random sampling
/// O(1) for approximate LRU eviction and active expiry, and give SCAN a stable cursor.
/// Not thread-safe: every call happens under <see cref="StateStore.Sync"/>.
/// </summary>
internal sealed class Keyspace
{
    private readonly Dictionary<byte[], KeyEntry> _map = new(ByteArrayComparer.Instance);
    private readonly Dictionary<byte[], KeyEntry>.AlternateLookup<ReadOnlySpan<byte>> _lookup;
    private KeyEntry[] _all = new KeyEntry[64];
    private KeyEntry[] _volatile = new KeyEntry[16];
    private ulong _random = (ulong)Environment.TickCount64 | 1UL;
    private long _clock;

    public Keyspace() => _lookup = _map.GetAlternateLookup<ReadOnlySpan<byte>>();

    /// <summary>Clients' WATCHed keys; every change below is reported to it.</summary>
    public WatchRegistry Watches { get; } = new();

    public int Count { get; private set; }

    public int VolatileCount { get; private set; }

    public long UsedBytes { get; private set; }

    public KeyEntry? Find(ReadOnlySpan<byte> key) => _lookup.TryGetValue(key, out var entry) ? entry : null;

    public void Touch(KeyEntry entry) => entry.LastAccess = ++_clock;

    /// <summary>Copies the entries of slots [first, first + count) (KEYS and SCAN match them outside the lock).</summary>
    public void CopySlots(int first, int count, KeyEntry[] destination) => Array.Copy(_all, first, destination, 0, count);

    public KeyEntry Add(ReadOnlySpan<byte> key, object value)
    {
        var entry = new KeyEntry(key.ToArray(), value);
        _map.Add(entry.Key, entry);
        if (Count == _all.Length)
        {
            Array.Resize(ref _all, _all.Length * 2);
        }

        entry.Slot = Count;
        _all[Count++] = entry;
        entry.LastAccess = ++_clock;
        Account(entry);
        return entry;
    }

    public void Remove(KeyEntry entry)
    {
        _map.Remove(entry.Key);
        ClearExpireSlot(entry);
        // Swap-remove keeps the array dense; SCAN walks downwards so a moved entry is never skipped.
        var last = _all[--Count];
        _all[entry.Slot] = last;
        last.Slot = entry.Slot;
        _all[Count] = null!;
        entry.Slot = -1;
        UsedBytes -= entry.AccountedBytes;
        entry.AccountedBytes = 0;
        if (!Watches.IsEmpty)
        {
            Watches.Touch(entry.Key, existsNow: false);
        }
    }

    public void SetExpire(KeyEntry entry, long expireAtMs)
    {
        entry.ExpireAtMs = expireAtMs;
        if (!Watches.IsEmpty)
        {
            Watches.Touch(entry.Key, existsNow: true);
        }

        if (entry.VolatileSlot >= 0)
        {
            return;
        }

        if (VolatileCount == _volatile.Length)
        {
            Array.Resize(ref _volatile, _volatile.Length * 2);
        }

        entry.VolatileSlot = VolatileCount;
        _volatile[VolatileCount++] = entry;
    }

    public void ClearExpire(KeyEntry entry)
    {
        if (!Watches.IsEmpty && entry.ExpireAtMs != 0)
        {
            Watches.Touch(entry.Key, existsNow: true);
        }

        ClearExpireSlot(entry);
    }

    private void ClearExpireSlot(KeyEntry entry)
    {
        entry.ExpireAtMs = 0;
        if (entry.VolatileSlot < 0)
        {
            return;
        }

        var last = _volatile[--VolatileCount];
        _volatile[entry.VolatileSlot] = last;
        last.VolatileSlot = entry.VolatileSlot;
        _volatile[VolatileCount] = null!;
        entry.VolatileSlot = -1;
    }

    /// <summary>Re-accounts an entry after its value was set or changed (every write of a value ends here).</summary>
    public void Account(KeyEntry entry)
    {
        var bytes = entry.ComputeBytes();
        UsedBytes += bytes - entry.AccountedBytes;
        entry.AccountedBytes = bytes;
        if (!Watches.IsEmpty)
        {
            Watches.Touch(entry.Key, existsNow: true);
        }
    }

    public KeyEntry? SampleAny() => Count == 0 ? null : _all[NextRandom(Count)];

    public KeyEntry? SampleVolatile() => VolatileCount == 0 ? null : _volatile[NextRandom(VolatileCount)];

    public void Clear()
    {
        if (!Watches.IsEmpty)
        {
            Watches.TouchExisting(this);
        }

        _map.Clear();
        _all = new KeyEntry[64];
        _volatile = new KeyEntry[16];
        Count = 0;
        VolatileCount = 0;
        UsedBytes = 0;
    }

    /// <summary>Copies the live keyspace for a snapshot. Strings are immutable, hashes are copied.</summary>
    public SnapshotItem[] Capture(long nowMs)
    {
        var items = new List<SnapshotItem>(Count);
        for (var i = 0; i < Count; i++)
        {
            var entry = _all[i];
            if (entry.ExpireAtMs != 0 && entry.ExpireAtMs <= nowMs)
            {
                continue;
            }

            object value = entry.Value is HashValue hash
                ? hash.Fields.ToArray()
                : entry.Value;
            items.Add(new SnapshotItem(entry.Key, value, entry.ExpireAtMs));
        }

        return [.. items];
    }

    private int NextRandom(int bound)
    {
        // xorshift64*: cheap and good enough for sampling; no shared Random state under the lock.
        _random ^= _random >> 12;
        _random ^= _random << 25;
        _random ^= _random >> 27;
        return (int)((_random * 2685821657736338717UL >> 33) % (ulong)bound);
    }
}
