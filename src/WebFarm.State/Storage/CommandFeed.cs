using System.Buffers;
using WebFarm.State.Protocol;

namespace WebFarm.State.Storage;

/// <summary>
/// Where executed writes go: the append-only log and the replication backlog. Commands are propagated
/// in a deterministic form (relative TTLs become PXAT/PEXPIREAT, GETDEL becomes DEL, ...) so that
/// replaying the log or the stream gives the same data. Used only under the store lock.
/// </summary>
internal sealed class CommandFeed
{
    private static readonly byte[] MultiCommand = RespEncoder.Command("MULTI");
    private static readonly byte[] ExecCommand = RespEncoder.Command("EXEC");
    private readonly ArrayBufferWriter<byte> _scratch = new(256);
    private bool _inTransaction;

    // Opened per sink: a PUBLISH inside EXEC goes to the replicas only, so the replication stream can need its MULTI
    // before the log does (or without the log ever needing one).
    private bool _logOpened;
    private bool _replicationOpened;

    public ICommandLogSink? Log { get; set; }

    public ICommandLogSink? Replication { get; set; }

    public bool Enabled => Log is not null || Replication is not null;

    /// <summary>Set when anything was written since the last <see cref="TakeWritten"/>.</summary>
    public bool Written { get; private set; }

    public bool TakeWritten()
    {
        var written = Written;
        Written = false;
        return written;
    }

    public void Propagate(scoped CommandArgs args)
    {
        if (!Enabled)
        {
            return;
        }

        Begin(args.Count);
        for (var i = 0; i < args.Count; i++)
        {
            Arg(args[i]);
        }

        End();
    }

    /// <summary>
    /// Sends a command to the replicas but not to the log: PUBLISH, so that clients subscribed on a replica get
    /// the message (as Redis replicates it), while a log replay must not publish old messages.
    /// </summary>
    public void PropagateToReplicas(scoped CommandArgs args)
    {
        if (Replication is null)
        {
            return;
        }

        Begin(args.Count);
        for (var i = 0; i < args.Count; i++)
        {
            Arg(args[i]);
        }

        OpenReplicationTransaction();
        Replication.Append(_scratch.WrittenSpan);
        Written = true;
    }

    public void PropagateDel(byte[] key)
    {
        if (!Enabled)
        {
            return;
        }

        Begin(2);
        Arg("DEL"u8);
        Arg(key);
        End();
    }

    public void Begin(int count)
    {
        _scratch.ResetWrittenCount();
        RespEncoder.WriteHeader(_scratch, count);
    }

    public void Arg(ReadOnlySpan<byte> value) => RespEncoder.WriteBulk(_scratch, value);

    public void Arg(long value) => RespEncoder.WriteBulk(_scratch, value);

    public void End()
    {
        if (_inTransaction && !_logOpened && Log is not null)
        {
            _logOpened = true;
            Log.Append(MultiCommand);
        }

        OpenReplicationTransaction();
        Emit(_scratch.WrittenSpan);
    }

    /// <summary>Wraps the writes of an EXEC in MULTI/EXEC so a replica or a replay applies them atomically.</summary>
    public void BeginTransaction()
    {
        _inTransaction = true;
        _logOpened = false;
        _replicationOpened = false;
    }

    public void EndTransaction()
    {
        if (_logOpened)
        {
            Log?.Append(ExecCommand);
        }

        if (_replicationOpened)
        {
            Replication?.Append(ExecCommand);
        }

        _inTransaction = false;
        _logOpened = false;
        _replicationOpened = false;
    }

    private void OpenReplicationTransaction()
    {
        if (_inTransaction && !_replicationOpened && Replication is not null)
        {
            _replicationOpened = true;
            Replication.Append(MultiCommand);
        }
    }

    private void Emit(ReadOnlySpan<byte> bytes)
    {
        Log?.Append(bytes);
        Replication?.Append(bytes);
        Written = true;
    }
}
