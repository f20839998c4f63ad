using System.Text;

namespace WebFarm.State.Commands;

/// <summary>The immutable set of supported commands, looked up by name without allocating.</summary>
internal sealed class CommandTable
{
    private readonly Dictionary<byte[], CommandDefinition> _byName = new(AsciiCaseInsensitiveComparer.Instance);
    private readonly Dictionary<byte[], CommandDefinition>.AlternateLookup<ReadOnlySpan<byte>> _lookup;

    // Open addressing over the packed short names (see TryPack): a power-of-two table at most a quarter full,
    // probed linearly; a zero key is an empty slot (no name packs to zero: the length byte of a non-empty name is set).
    private ulong[] _shortKeys = new ulong[256];
    private CommandDefinition?[] _shortDefinitions = new CommandDefinition?[256];
    private int _shortCount;

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
    {
        var definition = new CommandDefinition(name, arity, flags, firstKey, lastKey, step, handler);
        var bytes = Encoding.ASCII.GetBytes(name);
        _byName.Add(bytes, definition);
        if (TryPack(bytes, out var packed) && packed != 0)
        {
            if ((_shortCount + 1) * 4 > _shortKeys.Length)
            {
                Grow();
            }

            Insert(packed, definition);
            _shortCount++;
        }
    }

    public CommandDefinition? Find(ReadOnlySpan<byte> name)
    {
        if (TryPack(name, out var packed))
        {
            var keys = _shortKeys;
            var mask = keys.Length - 1;
            for (var slot = Slot(packed, mask); ; slot = (slot + 1) & mask)
            {
                var key = keys[slot];
                if (key == packed)
                {
                    return _shortDefinitions[slot];
                }

                if (key == 0)
                {
                    return null;
                }
            }
        }

        return _lookup.TryGetValue(name, out var longer) ? longer : null;
    }

    private static int Slot(ulong packed, int mask) => (int)((packed * 0x9E3779B97F4A7C15UL) >> 40) & mask;

    private void Insert(ulong packed, CommandDefinition definition)
    {
        var mask = _shortKeys.Length - 1;
        var slot = Slot(packed, mask);
        while (_shortKeys[slot] != 0)
        {
            slot = (slot + 1) & mask;
        }

        _shortKeys[slot] = packed;
        _shortDefinitions[slot] = definition;
    }

    private void Grow()
    {
        var keys = _shortKeys;
        var definitions = _shortDefinitions;
        _shortKeys = new ulong[keys.Length * 2];
        _shortDefinitions = new CommandDefinition?[keys.Length * 2];
        for (var i = 0; i < keys.Length; i++)
        {
            if (keys[i] != 0)
            {
                Insert(keys[i], definitions[i]!);
            }
        }
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
