namespace WebFarm.State.Commands;

/// <summary>A command's metadata (as COMMAND reports it) and its handler. Arity follows Redis: negative means "at least".</summary>
internal sealed class CommandDefinition(string name, int arity, CommandFlags flags, int firstKey, int lastKey, int step, CommandHandler handler)
{
    public string Name { get; } = name;

    public int Arity { get; } = arity;

    public CommandFlags Flags { get; } = flags;

    public int FirstKey { get; } = firstKey;

    public int LastKey { get; } = lastKey;

    public int Step { get; } = step;

    public CommandHandler Handler { get; } = handler;

    public long Calls { get; set; }

    public bool IsWrite => (Flags & CommandFlags.Write) != 0;

    public bool ArityMatches(int count) => Arity >= 0 ? count == Arity : count >= -Arity;
}
