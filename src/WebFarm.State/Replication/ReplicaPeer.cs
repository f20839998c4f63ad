using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using WebFarm.State.Commands;
using WebFarm.State.Hosting;
using WebFarm.State.Persistence;
using WebFarm.State.Storage;

namespace WebFarm.State.Replication;

/// <summary>
/// Master side of one attached replica: sends the snapshot (full sync) or nothing (partial resync), then
/// streams the backlog from the replica's offset. The connection's output belongs to this sender from
/// PSYNC on; the connection's read loop only feeds REPLCONF ACKs back here.
/// </summary>
internal sealed partial class ReplicaPeer
{
    private const int ChunkBytes = 256 * 1024;
    private readonly ServerContext _server;
    private readonly ClientSession _session;
    private readonly PipeWriter _output;
    private readonly Action _abort;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly CancellationTokenSource _stop = new();

    public ReplicaPeer(ServerContext server, ClientSession session, PipeWriter output, Action abort)
    {
        _server = server;
        _session = session;
        _output = output;
        _abort = abort;
        Address = session.Address;
    }

    public string Address { get; }

    public int ListeningPort { get; set; }

    public ReplicaPeerState State { get; private set; } = ReplicaPeerState.SendingSnapshot;

    public long SentOffset { get; private set; }

    public long AckOffset { get; set; }

    public long LastAckMs { get; set; } = Environment.TickCount64;

    public void Wake() => _wake.Writer.TryWrite(true);

    public void Stop()
    {
        State = ReplicaPeerState.Closed;
        _stop.Cancel();
        _abort();
    }

    /// <summary>Runs the sender. <paramref name="snapshot"/> is null for a partial resync.</summary>
    public async Task RunAsync(string replId, long startOffset, SnapshotItem[]? snapshot)
    {
        var store = _server.Store;
        try
        {
            SentOffset = startOffset;
            if (snapshot is not null)
            {
                // Serialise outside the lock: the snapshot shares immutable values with the live keyspace.
                using var payload = new MemoryStream();
                SnapshotWriter.Write(snapshot, payload);
                lock (store.Sync)
                {
                    _output.Write(Encoding.ASCII.GetBytes($"+FULLRESYNC {replId} {startOffset}\r\n${payload.Length}\r\n"));
                }

                _output.Write(payload.GetBuffer().AsSpan(0, (int)payload.Length));
                await FlushAsync();
            }
            else
            {
                lock (store.Sync)
                {
                    _output.Write(Encoding.ASCII.GetBytes($"+CONTINUE {replId}\r\n"));
                }

                await FlushAsync();
            }

            State = ReplicaPeerState.Online;
            Log.ReplicaOnline(_server.Logger, Address, startOffset, snapshot is null ? "partial resync" : "full sync");
            while (!_stop.IsCancellationRequested)
            {
                bool more;
                lock (store.Sync)
                {
                    var backlog = _server.Replication.Backlog;
                    if (backlog is null || SentOffset < backlog.StartOffset)
                    {
                        throw new InvalidOperationException("the replica fell behind the replication backlog");
                    }

                    SentOffset += backlog.CopyTo(SentOffset, ChunkBytes, _output);
                    more = SentOffset < backlog.EndOffset;
                }

                await FlushAsync();
                if (!more)
                {
                    await _wake.Reader.ReadAsync(_stop.Token);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Log.ReplicaDropped(_server.Logger, Address, ex.Message);
        }
        finally
        {
            State = ReplicaPeerState.Closed;
            lock (store.Sync)
            {
                _server.Replication.Peers.Remove(this);
            }

            _abort();
        }
    }

    private async Task FlushAsync()
    {
        var flush = _output.FlushAsync(_stop.Token);
        if (!flush.IsCompleted)
        {
            var task = flush.AsTask();
            if (await Task.WhenAny(task, Task.Delay(_server.Options.ReplicaOutputStallTimeout)) != task)
            {
                throw new TimeoutException($"the replica did not read the stream for {_server.Options.ReplicaOutputStallTimeout}");
            }

            flush = new ValueTask<FlushResult>(task);
        }

        var result = await flush;
        if (result.IsCompleted || result.IsCanceled)
        {
            throw new IOException("the replica connection closed");
        }
    }

    public override string ToString() => _session.Address;
}
