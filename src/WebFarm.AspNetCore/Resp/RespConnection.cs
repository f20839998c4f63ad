using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace WebFarm.AspNetCore.Resp;

/// <summary>
/// One socket to one server. Callers enqueue commands into a channel; a single writer loop drains
/// everything queued into one flush (that is the pipelining), and a single reader loop matches
/// replies to commands in FIFO order. Any I/O or protocol error faults the connection for good:
/// every queued and in-flight command fails with <see cref="RespConnectionException"/>.
/// </summary>
internal sealed class RespConnection : IAsyncDisposable
{
    // Flush mid-batch once this much is buffered so huge pipelines do not grow one giant buffer.
    private const int FlushThreshold = 64 * 1024;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly Channel<RespPendingCommand> _outbound = Channel.CreateUnbounded<RespPendingCommand>(
        new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });

    private readonly Queue<RespPendingCommand> _inflight = new();
    private readonly Lock _gate = new();
    private readonly Task _writeLoop;
    private readonly Task _readLoop;
    private int _state; // RespConnectionState, int for Volatile/Interlocked
    private RespConnectionException? _fault;

    private RespConnection(Socket socket, RespEndPoint endPoint, int endPointIndex)
    {
        _socket = socket;
        EndPoint = endPoint;
        EndPointIndex = endPointIndex;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _input = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
        _output = PipeWriter.Create(_stream, new StreamPipeWriterOptions(leaveOpen: true));
        _writeLoop = Task.Run(WriteLoopAsync);
        _readLoop = Task.Run(ReadLoopAsync);
    }

    public RespEndPoint EndPoint { get; }

    /// <summary>Index of <see cref="EndPoint"/> in the client's endpoint list.</summary>
    public int EndPointIndex { get; }

    public RespConnectionState State => (RespConnectionState)Volatile.Read(ref _state);

    public RespConnectionException? Fault => Volatile.Read(ref _fault);

    public static async Task<RespConnection> ConnectAsync(RespEndPoint endPoint, int endPointIndex, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(new DnsEndPoint(endPoint.Host, endPoint.Port), cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new RespConnectionException($"Connecting to {endPoint} timed out after {timeout.TotalMilliseconds:0} ms.");
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new RespConnectionException($"Cannot connect to {endPoint}: {ex.Message}.", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new RespConnection(socket, endPoint, endPointIndex);
    }

    /// <summary>Queues a command; the task completes with its reply or faults with the connection.</summary>
    public Task<RespValue> Send(RespPendingCommand pending)
    {
        if (!_outbound.Writer.TryWrite(pending))
        {
            pending.TrySetException(Fault ?? new RespConnectionException($"Connection to {EndPoint} is closed."));
        }

        return pending.Task;
    }

    /// <summary>
    /// Waits for the replies of <paramref name="pending"/> (sent on this connection) within <paramref name="deadline"/>.
    /// On timeout or cancellation the commands are abandoned (never sent if still queued); a timeout also checks
    /// whether the socket is dead (<see cref="OnCommandTimedOut"/>) and throws <see cref="RespTimeoutException"/>
    /// naming the server and, in a cluster, the <paramref name="slot"/> (-1: none). Connection failures propagate as they are.
    /// </summary>
    public async Task WaitForRepliesAsync(RespPendingCommand[] pending, Task<RespValue>[] replies, RespDeadline deadline, int slot, CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAll(replies).WaitAsync(deadline.Remaining, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Abandon(pending);
            OnCommandTimedOut(deadline.Timeout);
            string where = slot < 0 ? string.Empty : $" (slot {slot})";
            throw new RespTimeoutException($"{pending[0].Command.Name} got no reply from {EndPoint}{where} within {deadline.Timeout.TotalMilliseconds:0} ms.");
        }
        catch (OperationCanceledException)
        {
            Abandon(pending);
            throw;
        }
    }

    /// <summary>
    /// Called when a command on this connection timed out. If even the oldest in-flight command has
    /// waited the whole timeout, the server (or the path to it) is not answering at all: a half-open
    /// socket would otherwise swallow commands forever, so the connection is dropped and replaced.
    /// </summary>
    public void OnCommandTimedOut(TimeSpan timeout)
    {
        bool stuck;
        lock (_gate)
        {
            stuck = _inflight.TryPeek(out var oldest) && oldest.WasWritten
                && Stopwatch.GetElapsedTime(oldest.WrittenTimestamp) >= timeout;
        }

        if (stuck)
        {
            Fail(new RespConnectionException($"{EndPoint} sent no reply for {timeout.TotalMilliseconds:0} ms; connection presumed dead."));
        }
    }

    /// <summary>Faults the connection: closes the socket and fails every queued and in-flight command.</summary>
    public void Fail(Exception reason)
    {
        RespPendingCommand[] inflight;
        RespConnectionException fault;
        lock (_gate)
        {
            if (_state == (int)RespConnectionState.Faulted)
            {
                return;
            }

            fault = reason as RespConnectionException
                ?? new RespConnectionException($"Connection to {EndPoint} failed: {reason.Message}", reason);
            _fault = fault;
            Volatile.Write(ref _state, (int)RespConnectionState.Faulted);
            inflight = _inflight.ToArray();
            _inflight.Clear();
        }

        _outbound.Writer.TryComplete();
        while (_outbound.Reader.TryRead(out var queued))
        {
            queued.TrySetException(fault);
        }

        foreach (var pending in inflight)
        {
            pending.TrySetException(fault);
        }

        // Closing the socket unblocks both loops.
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        _stream.Dispose();
    }

    private static void Abandon(RespPendingCommand[] pending)
    {
        foreach (var p in pending)
        {
            p.Abandon();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Fail(new RespConnectionException($"Connection to {EndPoint} was closed by the client."));
        try
        {
            await Task.WhenAll(_writeLoop, _readLoop).ConfigureAwait(false);
        }
        catch
        {
            // The loops report their errors through Fail; nothing more to observe here.
        }

        await _input.CompleteAsync().ConfigureAwait(false);
        await _output.CompleteAsync().ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        var reader = _outbound.Reader;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var pending))
                {
                    if (pending.IsAbandoned)
                    {
                        // The caller already gave up: never send it, so no reply needs matching.
                        pending.TrySetCanceled();
                        continue;
                    }

                    lock (_gate)
                    {
                        if (_state != (int)RespConnectionState.Connected)
                        {
                            pending.TrySetException(_fault!);
                            continue;
                        }

                        // Enqueue before the bytes leave, so the reader always finds the owner of a reply.
                        pending.MarkWritten();
                        _inflight.Enqueue(pending);
                    }

                    _output.Write(pending.Command.Payload.Span);
                    if (_output.UnflushedBytes >= FlushThreshold)
                    {
                        await FlushAsync().ConfigureAwait(false);
                    }
                }

                await FlushAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
    }

    private async ValueTask FlushAsync()
    {
        var result = await _output.FlushAsync().ConfigureAwait(false);
        if (result.IsCompleted || result.IsCanceled)
        {
            throw new RespConnectionException($"Connection to {EndPoint} closed while writing.");
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                while (RespParser.TryParse(ref buffer, out var value))
                {
                    RespPendingCommand? pending;
                    lock (_gate)
                    {
                        _inflight.TryDequeue(out pending);
                    }

                    if (pending is null)
                    {
                        throw new RespProtocolException($"{EndPoint} sent a reply nobody asked for: {value}.");
                    }

                    pending.TrySetResult(value);
                }

                _input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    throw new RespConnectionException($"{EndPoint} closed the connection.");
                }
            }
        }
        catch (IOException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            // A node that hangs up while our bytes are still unread in its socket sends RST instead of FIN: the same
            // hang-up, reported the same way (the hostile-node tests saw either, depending on timing).
            Fail(new RespConnectionException($"{EndPoint} closed the connection (reset).", ex));
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
    }
}
