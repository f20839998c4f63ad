namespace WebFarm.State.Protocol;

/// <summary>
/// Positions of the arguments of one parsed command. Reused per connection so parsing allocates
/// nothing. Arguments point either into the receive buffer or, for inline commands whose quoting had
/// to be undone, into <see cref="Owned"/>.
/// </summary>
internal sealed class ArgList
{
    private int[] _offsets = new int[8];
    private int[] _lengths = new int[8];

    public int Count { get; private set; }

    public byte[] Owned { get; private set; } = new byte[64];

    public int OwnedLength { get; private set; }

    public bool UsesOwned { get; set; }

    public int OffsetAt(int index) => _offsets[index];

    public int LengthAt(int index) => _lengths[index];

    public void Clear()
    {
        Count = 0;
        OwnedLength = 0;
        UsesOwned = false;
    }

    public void Add(int offset, int length)
    {
        if (Count == _offsets.Length)
        {
            Array.Resize(ref _offsets, _offsets.Length * 2);
            Array.Resize(ref _lengths, _lengths.Length * 2);
        }

        _offsets[Count] = offset;
        _lengths[Count] = length;
        Count++;
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
}
