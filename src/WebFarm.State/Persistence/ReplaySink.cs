using WebFarm.State.Commands;
using WebFarm.State.Protocol;

namespace WebFarm.State.Persistence;

/// <summary>Executes logged commands and tracks the end of the last complete one (a MULTI block counts only once its EXEC is read).</summary>
internal sealed class ReplaySink(ClientSession session) : ICommandSink
{
    public ParserLimits Limits => new(long.MaxValue, int.MaxValue);

    public long Offset { get; private set; }

    public long CompleteOffset { get; private set; }

    public long Commands { get; private set; }

    /// <summary>Set when the log holds something that is not a command we write: treated as corruption.</summary>
    public string? Invalid { get; private set; }

    public bool Execute(scoped CommandArgs args, int commandBytes)
    {
        if (session.Server.Commands.Find(args[0]) is null)
        {
            Invalid = $"an unknown command '{Text.Printable(args[0], 32)}'";
            return false;
        }

        CommandExecutor.Execute(session, args);
        Offset += commandBytes;
        Commands++;
        if (!session.InMulti)
        {
            CompleteOffset = Offset;
        }

        return true;
    }

    public void Reset()
    {
        Offset = 0;
        Invalid = null;
        CompleteOffset = 0;
        session.MultiQueue = null;
        session.MultiFailed = false;
    }
}
