using System.Runtime.InteropServices;

namespace WebFarm.State.Storage;

/// <summary>A hash value. Field values are replaced, never mutated, so snapshots can share them.</summary>
internal sealed class HashValue
{
    /// <summary>Approximate per-field bookkeeping cost used for memory accounting.</summary>
    public const int FieldOverhead = 48;

    public HashValue()
    {
        Fields = new Dictionary<byte[], byte[]>(ByteArrayComparer.Instance);
        Lookup = Fields.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    public Dictionary<byte[], byte[]> Fields { get; }

    public Dictionary<byte[], byte[]>.AlternateLookup<ReadOnlySpan<byte>> Lookup { get; }

    public long Bytes { get; private set; }

    public int Count => Fields.Count;

    /// <summary>Sets a field; returns true when the field is new.</summary>
    public bool Set(ReadOnlySpan<byte> field, ReadOnlySpan<byte> value)
    {
        // One probe for both cases (a new field's key array is made by the comparer's Create).
        var copy = value.ToArray();
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(Lookup, field, out var exists);
        if (exists)
        {
            Bytes += copy.Length - slot!.Length;
            slot = copy;
            return false;
        }

        slot = copy;
        Bytes += FieldOverhead + field.Length + value.Length;
        return true;
    }

    public bool TryGet(ReadOnlySpan<byte> field, out byte[] value)
    {
        if (Lookup.TryGetValue(field, out var found))
        {
            value = found;
            return true;
        }

        value = [];
        return false;
    }

    public bool Remove(ReadOnlySpan<byte> field)
    {
        if (Lookup.Remove(field, out var key, out var value))
        {
            Bytes -= FieldOverhead + key.Length + value.Length;
            return true;
        }

        return false;
    }
}
