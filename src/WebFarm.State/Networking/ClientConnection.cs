using System.Buffers;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using WebFarm.State.Commands;
using WebFarm.State.Hosting;
using WebFarm.State.Protocol;

namespace WebFarm.State.Networking;

/// <summary>
/// One client connection: reads whatever has arrived, executes every complete command under a single
/// store-lock acquisition, and flushes all replies at once (pipelining costs one lock and one write per
/// batch). A client that stops reading its replies is dropped after a stall timeout instead of growing
/// the server's memory.
/// </summary>
internal sealed partial class ClientConnection : ICommandSink
{
    /// <summary>Flush long pipelines in slices so replies stream back while the rest executes.</summary>
    private const int YieldAfterReplyBytes = 256 * 1024;

    private readonly ServerContext _server;
    private readonly ConnectionContext _connection;
    private readonly ClientSession _session;
    private readonly ArgList _args = new();
    private byte[] _scratch = new byte[4096];
    private bool _locked;

    public ClientConnection(ServerContext server, ConnectionContext connection)
    {
        _server = server;
        _connection = connection;
        var address = connection.RemoteEndPoint?.ToString() ?? "unknown";
        _session = new ClientSession(server, server.NextClientId(), new RespWriter(connection.Transport.Output), address)
        {
            Authenticated = !server.RequiresAuth,
            Output = connection.Transport.Output,
            Abort = connection.Abort,
            CanDefer = true,
            Wake = connection.Transport.Input.CancelPendingRead,
        };
    }

    public ParserLimits Limits => _session.Authenticated ? _server.Limits : ParserLimits.Unauthenticated;

    public bool Execute(scoped CommandArgs args, int commandBytes)
    {
        if (!_locked)
        {
            _server.Store.Sync.Enter();
            _locked = true;
            _server.Store.BeginBatch();
            DrainPubSub();
        }

        CommandExecutor.Execute(_session, args);
        return !_session.CloseRequested && _session.DeferredWalk is null && _session.Reply.Pending < YieldAfterReplyBytes;
    }

    public async Task RunAsync()
    {
        var input = _connection.Transport.Input;
        var output = _connection.Transport.Output;
        _server.Clients[_session.Id] = _session;
        Interlocked.Increment(ref _server.TotalConnections);
        long needed = 0;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync();
                var buffer = result.Buffer;
                if (buffer.Length > _server.Options.MaxQueryBufferBytes)
                {
                    Log.QueryBufferTooLarge(_server.Logger, _session.Id, _session.Address, buffer.Length);
                    break;
                }

                var status = StreamStatus.NeedMore;
                string? error = null;
                var logMark = 0L;
                if (buffer.Length >= needed || result.IsCompleted)
                {
                    try
                    {
                        status = CommandStream.Process(ref buffer, this, _args, ref _scratch, out needed, out error);
                    }
                    finally
                    {
                        if (_locked)
                        {
                            _locked = false;
                            if (_server.Store.Feed.Written && _server.Log is not null)
                            {
                                logMark = _server.Log.AppendedBytes;
                            }

                            _server.OnBatchEnd();

                            // Replies go to the output pipe while the store lock is still held, so whatever else
                            // writes to this session's replies under the lock never races with this hand-over.
                            _session.Reply.Commit();
                            _server.Store.Sync.Exit();
                        }
                    }
                }

                if (_scratch.Length > 1024 * 1024)
                {
                    // A huge request straddled segments once; do not keep its copy buffer for the connection's life.
                    _scratch = new byte[4096];
                }

                // After a yield the rest is unexamined, so the next read returns at once with it.
                var examined = status == StreamStatus.Stopped && !_session.CloseRequested ? buffer.Start : result.Buffer.End;
                input.AdvanceTo(buffer.Start, examined);
                if (_session.DeferredWalk is { } walk)
                {
                    // A long KEYS/SCAN finishes with the store lock released; the rest of this client's pipeline waits for it, in order.
                    _session.DeferredWalk = null;
                    await walk.CompleteAsync(_server, _session.Reply, _connection.ConnectionClosed);
                }

                if (status == StreamStatus.ProtocolError)
                {
                    Interlocked.Increment(ref _server.ProtocolErrors);
                    _session.Reply.Error("ERR " + error);
                    Log.ProtocolError(_server.Logger, _session.Id, _session.Address, error);
                    await FlushAsync(output);
                    break;
                }

                if (_session.Peer is not null)
                {
                    // The replication sender owns the output now; keep reading for REPLCONF ACK.
                    if (result.IsCompleted)
                    {
                        break;
                    }

                    continue;
                }

                if (logMark > 0 && _server.Log!.Policy == AppendFsyncPolicy.Always)
                {
                    await _server.Log.WaitDurableAsync(logMark);
                }

                DrainPubSub();
                if (_session.Reply.Pending > 0 && !await FlushAsync(output))
                {
                    break;
                }

                if (_session.CloseRequested || (result.IsCompleted && status != StreamStatus.Stopped))
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is ConnectionResetException or ConnectionAbortedException or IOException or OperationCanceledException or InvalidOperationException)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception ex)
        {
            Log.ClientFailed(_server.Logger, _session.Id, _session.Address, ex);
        }
        finally
        {
            _server.Clients.TryRemove(_session.Id, out _);
            if (_session.HoldsSharedState)
            {
                lock (_server.Store.Sync)
                {
                    _session.ReleaseSharedState();
                }
            }
            _session.Peer?.Stop();
            await input.CompleteAsync();
            if (_session.Peer is null)
            {
                await output.CompleteAsync();
            }

            await _connection.DisposeAsync();
        }
    }

    /// <summary>Flushes replies; false when the client is gone or has not read them within the stall timeout.</summary>
    private async ValueTask<bool> FlushAsync(System.IO.Pipelines.PipeWriter output)
    {
        _session.Reply.Commit();
        _session.Reply.ResetPending();
        var flush = output.FlushAsync();
        if (!flush.IsCompleted)
        {
            var task = flush.AsTask();
            if (await Task.WhenAny(task, Task.Delay(_server.Options.ClientOutputStallTimeout)) != task)
            {
                Interlocked.Increment(ref _server.DroppedSlowClients);
                Log.OutputStalled(_server.Logger, _session.Id, _session.Address, _server.Options.ClientOutputStallTimeout);
                output.CancelPendingFlush();
                _connection.Abort(new ConnectionAbortedException("client stopped reading replies"));
                return false;
            }

            flush = new ValueTask<System.IO.Pipelines.FlushResult>(task);
        }

        var result = await flush;
        return !result.IsCompleted && !result.IsCanceled;
    }

    /// <summary>
    /// Writes Pub/Sub messages published to this client since the last pass: at the start of a batch (so they
    /// precede the replies of commands that ran after them) and before each flush.
    /// </summary>
    private void DrainPubSub()
    {
        if (_session.Subscriber is { HasPending: true } subscriber)
        {
            subscriber.DrainTo(_session.Reply);
        }
    }

    public void Abort() => _connection.Abort(new ConnectionAbortedException("server shutting down"));
}
