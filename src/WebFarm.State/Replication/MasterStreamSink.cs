using WebFarm.State.Commands;
using WebFarm.State.Protocol;

namespace WebFarm.State.Replication;

/// <summary>Applies the master's stream on a replica, one batch per lock acquisition, counting the offset.</summary>
internal sealed class MasterStreamSink(ClientSession session) : ICommandSink
{
    private bool _locked;

    public ParserLimits Limits => session.Server.Limits;

    public long Offset { get; set; }

    public bool AckRequested { get; set; }

    public bool Execute(scoped CommandArgs args, int commandBytes)
    {
        if (!_locked)
        {
            session.Store.Sync.Enter();
            _locked = true;
            session.Store.BeginBatch();
        }

        if (Text.Is(args[0], "REPLCONF"u8))
        {
            AckRequested |= args.Count > 1 && Text.Is(args[1], "GETACK"u8);
        }
        else
        {
            CommandExecutor.Execute(session, args);
        }

        Offset += commandBytes;
        return true;
    }

    public void EndBatch()
    {
        if (_locked)
        {
            _locked = false;
            session.Server.OnBatchEnd();
            session.Store.Sync.Exit();
        }
    }
}
