using System.Text;

namespace WebFarm.State.Commands;

/// <summary>The immutable set of supported commands, looked up by name without allocating.</summary>
internal sealed class CommandTable
{
    private readonly Dictionary<byte[], CommandDefinition> _byName = new(AsciiCaseInsensitiveComparer.Instance);
    private readonly Dictionary<byte[], CommandDefinition>.AlternateLookup<ReadOnlySpan<byte>> _lookup;

    public CommandTable()
    {
        _lookup = _byName.GetAlternateLookup<ReadOnlySpan<byte>>();
        ConnectionCommands.Register(this);
        ServerCommands.Register(this);
        StringCommands.Register(this);
        KeyCommands.Register(this);
        HashCommands.Register(this);
        TransactionCommands.Register(this);
        WatchCommands.Register(this);
        PubSubCommands.Register(this);
        FloatIncrementCommands.Register(this);
        StringRangeCommands.Register(this);
        RenameCommands.Register(this);
        HashScanCommand.Register(this);
        ReplicationCommands.Register(this);
    }

    public IReadOnlyCollection<CommandDefinition> All => _byName.Values;

    public void Add(string name, int arity, CommandFlags flags, int firstKey, int lastKey, int step, CommandHandler handler)
        => _byName.Add(Encoding.ASCII.GetBytes(name), new CommandDefinition(name, arity, flags, firstKey, lastKey, step, handler));

    public CommandDefinition? Find(ReadOnlySpan<byte> name) => _lookup.TryGetValue(name, out var definition) ? definition : null;
}
