namespace WebFarm.State.Protocol;

/// <summary>The arguments of one command as spans over the buffer they were parsed from.</summary>
internal readonly ref struct CommandArgs
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly ArgList _list;

    public CommandArgs(ReadOnlySpan<byte> data, ArgList list)
    {
        _data = list.UsesOwned ? list.Owned : data;
        _list = list;
    }

    public int Count => _list.Count;

    public ReadOnlySpan<byte> this[int index] => _list.Slice(_data, index);

    public ArgList List => _list;
}
