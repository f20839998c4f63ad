using System.Text;

namespace WebFarm.State.Commands;

/// <summary>The immutable set of supported commands, looked up by name without allocating.</summary>
internal sealed class CommandTable
{
    private readonly Dictionary<byte[], CommandDefinition> _byName = new(AsciiCaseInsensitiveComparer.Instance);
    private readonly Dictionary<byte[], CommandDefinition>.AlternateLookup<ReadOnlySpan<byte>> _lookup;
    private readonly Dictionary<ulong, CommandDefinition> _short = [];

    public CommandTable()
    {
        _lookup = _byName.GetAlternateLookup<ReadOnlySpan<byte>>();
        ConnectionCommands.Register(this);
        ServerCommands.Register(this);
        StringCommands.Register(this);
        KeyCommands.Register(this);
        HashCommands.Register(this);
        TransactionCommands.Register(this);
        ReplicationCommands.Register(this);
    }

    public IReadOnlyCollection<CommandDefinition> All => _byName.Values;

    public void Add(string name, int arity, CommandFlags flags, int firstKey, int lastKey, int step, CommandHandler handler)
    {
        var definition = new CommandDefinition(name, arity, flags, firstKey, lastKey, step, handler);
        var bytes = Encoding.ASCII.GetBytes(name);
        _byName.Add(bytes, definition);
        if (TryPack(bytes, out var packed))
        {
            _short.Add(packed, definition);
        }
    }

    public CommandDefinition? Find(ReadOnlySpan<byte> name)
    {
        if (TryPack(name, out var packed))
        {
            return _short.TryGetValue(packed, out var definition) ? definition : null;
        }

        return _lookup.TryGetValue(name, out var longer) ? longer : null;
    }

    /// <summary>
    /// Packs a name of up to 7 bytes, ASCII letters lower-cased, with its length in the top byte: equal keys
    /// mean equal names ignoring ASCII case. Every name that packs is registered in <see cref="_short"/>, so a
    /// miss there is a miss. Measured in bench/state: the case-insensitive hash and compare through the
    /// comparer interface were ~4% of the server's CPU with <c>-P 16</c>; this lookup is an integer one.
    /// </summary>
    private static bool TryPack(ReadOnlySpan<byte> name, out ulong packed)
    {
        packed = (ulong)name.Length << 56;
        if (name.Length > 7)
        {
            return false;
        }

        for (var i = 0; i < name.Length; i++)
        {
            var b = name[i];
            if ((uint)(b - 'A') <= 'Z' - 'A')
            {
                b |= 0x20;
            }

            packed |= (ulong)b << (8 * i);
        }

        return true;
    }
}
