namespace WebFarm.State.Protocol;

/// <summary>
/// Positions of the arguments of one parsed command. Reused per connection so parsing allocates
/// nothing. Arguments point either into the receive buffer or, for inline commands whose quoting had
/// to be undone, into <see cref="Owned"/>.
/// </summary>
internal sealed class ArgList
{
    // One array of (offset, length) pairs: one bounds check and one cache line per argument.
    private Slot[] _slots = new Slot[8];

    public int Count { get; private set; }

    public byte[] Owned { get; private set; } = new byte[64];

    public int OwnedLength { get; private set; }

    public bool UsesOwned { get; set; }

    /// <summary>Argument <paramref name="index"/> as a span of <paramref name="data"/> (the buffer it was parsed from).</summary>
    public ReadOnlySpan<byte> Slice(ReadOnlySpan<byte> data, int index)
    {
        var slot = _slots[index];
        return data.Slice(slot.Offset, slot.Length);
    }

    public void Clear()
    {
        Count = 0;
        OwnedLength = 0;
        UsesOwned = false;
    }

    public void Add(int offset, int length)
    {
        var count = Count;
        if (count == _slots.Length)
        {
            Array.Resize(ref _slots, _slots.Length * 2);
        }

        _slots[count] = new Slot(offset, length);
        Count = count + 1;
    }

    /// <summary>Appends bytes to the owned buffer (used for unescaped inline arguments and queued commands).</summary>
    public void AppendOwned(ReadOnlySpan<byte> bytes)
    {
        if (OwnedLength + bytes.Length > Owned.Length)
        {
            var grown = new byte[Math.Max(Owned.Length * 2, OwnedLength + bytes.Length)];
            Owned.AsSpan(0, OwnedLength).CopyTo(grown);
            Owned = grown;
        }

        bytes.CopyTo(Owned.AsSpan(OwnedLength));
        OwnedLength += bytes.Length;
    }

    public void AppendOwned(byte value) => AppendOwned([value]);

    /// <summary>Copies the arguments into a standalone list (for MULTI queues), independent of the receive buffer.</summary>
    public static ArgList CopyOf(scoped CommandArgs args)
    {
        var copy = new ArgList { UsesOwned = true };
        for (var i = 0; i < args.Count; i++)
        {
            var start = copy.OwnedLength;
            copy.AppendOwned(args[i]);
            copy.Add(start, args[i].Length);
        }

        return copy;
    }

    private readonly record struct Slot(int Offset, int Length);
}
