namespace WebFarm.State.Storage;

/// <summary>One key of the keyspace. Mutated only under the store lock.</summary>
internal sealed class KeyEntry(byte[] key, object value)
{
    /// <summary>Fixed bookkeeping cost per key used for memory accounting (entry, dictionary slot, arrays).</summary>
    public const int Overhead = 96;

    public byte[] Key { get; } = key;

    /// <summary>A byte[] (string, never mutated in place so snapshots can share it) or a <see cref="HashValue"/>.</summary>
    public object Value { get; set; } = value;

    /// <summary>Absolute expiry in Unix milliseconds; 0 when the key does not expire.</summary>
    public long ExpireAtMs { get; set; }

    /// <summary>Logical LRU clock of the last access: strictly ordered, unlike a millisecond clock.</summary>
    public long LastAccess { get; set; }

    /// <summary>Position in the dense array of all keys (used for random sampling and SCAN).</summary>
    public int Slot { get; set; } = -1;

    /// <summary>Position in the dense array of keys with a TTL; -1 when none.</summary>
    public int VolatileSlot { get; set; } = -1;

    /// <summary>Bytes accounted for this entry in <see cref="Keyspace.UsedBytes"/>.</summary>
    public long AccountedBytes { get; set; }

    public ValueKind Kind => Value is HashValue ? ValueKind.Hash : ValueKind.String;

    public long ComputeBytes() => Overhead + Key.Length + (Value is byte[] s ? s.Length : ((HashValue)Value).Bytes);
}
