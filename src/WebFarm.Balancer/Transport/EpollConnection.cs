using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace WebFarm.Balancer.Transport;

/// <summary>
/// A client connection on the epoll transport, as Kestrel sees it: two pipes over an <see cref="EpollSocket"/>, a
/// receive loop filling one and a send loop draining the other (the shape of Kestrel's own SocketConnection). Both
/// loops and the pipes' continuations run inline, so a request received on the loop thread is parsed, forwarded and
/// answered there without a thread hop. The loops start when the transport is first asked for; until then the TLS step
/// or the cleartext front end may take the socket instead (<see cref="TakeSocket"/>) and read and write it itself, with
/// no pipe between. The pipes are made only when the loops start: most connections never have them.
/// </summary>
internal sealed class EpollConnection : ConnectionContext,
    IConnectionIdFeature, IConnectionTransportFeature, IConnectionItemsFeature, IConnectionLifetimeFeature, IMemoryPoolFeature
{
    private const int MinimumReceiveBuffer = 4096;

    // _mode: the loops are not started yet, they run, or the socket was taken (no loops, ever).
    private const int NotStarted = 0;
    private const int Piped = 1;
    private const int Taken = 2;

    private static long s_lastId;

    private readonly EpollSocket _socket;
    private readonly ConnectionPipeOptions _options;
    private readonly CancellationTokenSource _closed = new();
    // Sized for what a connection ends up with (this class's five features and Kestrel's four: heartbeat, completion,
    // lifetime notification, metrics context), so the dictionary is made once instead of growing 3 -> 7 -> 17 entries:
    // 436 bytes per connection instead of 604 (dotnet-gcdump at 10,000 idle connections, bench/balancer/memory.sh).
    private const int ExpectedFeatures = 10;

    private readonly FeatureCollection _features = new(ExpectedFeatures);
    private IDictionary<object, object?>? _items;
    private Task _processing = Task.CompletedTask;
    private volatile Exception? _abortReason;

    // Made on first use: a connection whose socket the front end or the TLS step takes never needs them. Made with the
    // connection, the two pipes cost about 0.9 KiB per connection: 9 MiB at 10,000 idle clients (bench/balancer/memory.sh).
    private PipePair? _pipes;
    private IDuplexPipe? _transportOverride;
    private int _mode;

    public EpollConnection(EpollSocket socket, ConnectionPipeOptions options)
    {
        _socket = socket;
        _options = options;
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
        ConnectionId = "E" + Interlocked.Increment(ref s_lastId).ToString("X8", System.Globalization.CultureInfo.InvariantCulture);
        ConnectionClosed = _closed.Token;
        _features.Set<IConnectionIdFeature>(this);
        _features.Set<IConnectionTransportFeature>(this);
        _features.Set<IConnectionItemsFeature>(this);
        _features.Set<IConnectionLifetimeFeature>(this);
        _features.Set<IMemoryPoolFeature>(this);
    }

    public override string ConnectionId { get; set; }

    public override IFeatureCollection Features => _features;

    public override IDictionary<object, object?> Items
    {
        get => _items ??= new Dictionary<object, object?>();
        set => _items = value;
    }

    /// <summary>The connection's pipes; the first read of it starts the receive and send loops.</summary>
    public override IDuplexPipe Transport
    {
        get
        {
            if (Volatile.Read(ref _mode) == NotStarted)
            {
                Start();
            }

            return _transportOverride ?? Pipes;
        }

        set => _transportOverride = value;
    }

    public override CancellationToken ConnectionClosed { get; set; }

    public override EndPoint? LocalEndPoint { get; set; }

    public override EndPoint? RemoteEndPoint { get; set; }

    public MemoryPool<byte> MemoryPool => _options.Pool;

    /// <summary>Starts the receive and send loops (once; never after <see cref="TakeSocket"/>).</summary>
    public void Start()
    {
        // The pipes exist before the mode says Piped, so whoever sees Piped (an abort, the disposal) finds them.
        var pipes = Pipes;
        if (Interlocked.CompareExchange(ref _mode, Piped, NotStarted) == NotStarted)
        {
            _processing = RunAsync(pipes);
        }
    }

    /// <summary>
    /// Gives the socket to a caller that reads and writes it directly (the https listeners' TLS step,
    /// <see cref="Tls.TlsTermination"/>), if nothing has read the transport yet (null otherwise). The loops then never
    /// run: an abort or the connection's end closes the socket, and a reset or hang-up the loop reports fires
    /// <see cref="ConnectionContext.ConnectionClosed"/> (a FIN alone does not, as on the piped path).
    /// </summary>
    public EpollSocket? TakeSocket()
    {
        if (Interlocked.CompareExchange(ref _mode, Taken, NotStarted) != NotStarted)
        {
            return null;
        }

        _socket.OnHangUp(static state => ThreadPool.UnsafeQueueUserWorkItem(static c => c.FireClosed(), (EpollConnection)state!, preferLocal: false), this);
        return _socket;
    }

    /// <summary>
    /// The socket as a cleartext listener's front end reads and writes it directly (<see cref="EpollSocketPipe"/>), if
    /// nothing has read the transport yet (null otherwise: the TLS step took the socket, or the pipes run). As after
    /// <see cref="TakeSocket"/>, a reset or hang-up fires <see cref="ConnectionContext.ConnectionClosed"/>.
    /// </summary>
    public EpollSocketPipe? TakeDirectPipe() => TakeSocket() is { } socket ? new EpollSocketPipe(this, socket) : null;

    /// <summary>
    /// Starts the receive and send loops on a socket taken with <see cref="TakeSocket"/>, for a reader that gives up
    /// reading it directly (the front end's hand-off to Kestrel): <paramref name="received"/>, the bytes it received and
    /// did not consume, come first in <see cref="Transport"/>'s input. From then on the receive loop reports the
    /// connection's end, as if the socket had never been taken.
    /// </summary>
    public async ValueTask ResumePipesAsync(ReadOnlyMemory<byte> received)
    {
        var pipes = Pipes;
        if (Interlocked.CompareExchange(ref _mode, Piped, Taken) != Taken)
        {
            throw new InvalidOperationException("the socket was not taken, or its pipes run already");
        }

        _socket.ClearHangUp();
        if (!received.IsEmpty)
        {
            // At most a head's worth (under 32 KiB, EpollSocketReader): far below the input's pause threshold, so this completes at once.
            await pipes.Receive.Writer.WriteAsync(received).ConfigureAwait(false);
        }

        _processing = RunAsync(pipes);
    }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        _abortReason = abortReason;

        // Stops the send loop without sending what is left (a cancel before it reads counts too), and the receive loop
        // through the closed socket.
        if (Volatile.Read(ref _mode) != Taken)
        {
            Pipes.Send.Reader.CancelPendingRead();
        }

        Shutdown();
        if (Volatile.Read(ref _mode) == Taken)
        {
            // No send loop will end to report it.
            ThreadPool.UnsafeQueueUserWorkItem(static c => c.FireClosed(), this, preferLocal: false);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        // A connection whose loops never ran (its socket taken, or closed before anything read it) closes here.
        Interlocked.CompareExchange(ref _mode, Taken, NotStarted);
        if (Volatile.Read(ref _pipes) is { } pipes)
        {
            await pipes.Receive.Reader.CompleteAsync().ConfigureAwait(false);
            await pipes.Send.Writer.CompleteAsync().ConfigureAwait(false);
        }

        await _processing.ConfigureAwait(false);
        if (_mode == Taken)
        {
            Shutdown();
            FireClosed();
        }

        _closed.Dispose();
    }

    private PipePair Pipes => Volatile.Read(ref _pipes) ?? CreatePipes();

    private PipePair CreatePipes()
    {
        var made = new PipePair(_options);
        return Interlocked.CompareExchange(ref _pipes, made, null) ?? made;
    }

    private async Task RunAsync(PipePair pipes)
    {
        var receiving = ReceiveLoopAsync(pipes);
        var sending = SendLoopAsync(pipes);
        await receiving.ConfigureAwait(false);
        await sending.ConfigureAwait(false);
    }

    private async Task ReceiveLoopAsync(PipePair pipes)
    {
        Exception? error = null;
        var writer = pipes.Receive.Writer;
        try
        {
            while (true)
            {
                // Wait for bytes before taking a block: an idle keep-alive connection then holds none. Taking it first
                // held 4 KiB per idle connection, 41 MB of the balancer's 214 MB with 10,000 idle keep-alive clients
                // (bench/balancer/memory.sh). The pipe gives its last block back once the application has read it all.
                await _socket.WaitUntilReceivableAsync().ConfigureAwait(false);
                var buffer = writer.GetMemory(MinimumReceiveBuffer);
                var received = await _socket.ReceiveAsync(buffer).ConfigureAwait(false);
                if (received == 0)
                {
                    break; // The client closed its side.
                }

                writer.Advance(received);
                var flush = await writer.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    break; // The application stopped reading.
                }
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted)
        {
            error = new ConnectionResetException(ex.Message, ex);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.OperationAborted)
        {
            error = _abortReason ?? new ConnectionAbortedException("the connection was closed", ex);
        }
        catch (Exception ex)
        {
            error = ex;
        }
        finally
        {
            // An abort is reported as the reason the input ended, as Kestrel's own transport does.
            await writer.CompleteAsync(_abortReason ?? error).ConfigureAwait(false);

            // A reset or an abort is what cancels a request still waiting for its server: Kestrel's HTTP layer and the
            // front end watch ConnectionClosed for it. A FIN alone is not: a client that half-closes after a complete
            // request (HTTP/1.0 clients, scripts) still gets its answer (issue 13, as HAProxy does); the input ends and
            // ConnectionClosed fires when the connection does (the send loop's end). Off the loop thread, because
            // cancellation callbacks run arbitrary code.
            if (_abortReason is not null || error is not null)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static c => c.FireClosed(), this, preferLocal: false);
            }
        }
    }

    private async Task SendLoopAsync(PipePair pipes)
    {
        Exception? error = null;
        var reader = pipes.Send.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    break; // Aborted.
                }

                var buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    await _socket.SendAsync(buffer).ConfigureAwait(false);
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted or SocketError.OperationAborted)
        {
            error = null; // The client went away; the receive side reports it.
        }
        catch (Exception ex)
        {
            error = ex;
        }
        finally
        {
            Shutdown();
            await reader.CompleteAsync(error).ConfigureAwait(false);
            ThreadPool.UnsafeQueueUserWorkItem(static c => c.FireClosed(), this, preferLocal: false);

            // A receive loop paused by a full input pipe would otherwise never see the closed socket.
            pipes.Receive.Writer.CancelPendingFlush();
        }
    }

    /// <summary>Sends FIN after what was written (a graceful end) and closes; the receive loop then ends.</summary>
    private void Shutdown()
    {
        // Both calls are safe more than once and from any thread (an abort and the send loop's end may race).
        _socket.Shutdown(SocketShutdown.Both);
        _socket.Dispose();
    }

    private void FireClosed()
    {
        try
        {
            _closed.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>The received bytes' pipe and the response's, and the transport Kestrel sees over them.</summary>
    private sealed class PipePair(ConnectionPipeOptions options) : IDuplexPipe
    {
        public Pipe Receive { get; } = new(options.Input);

        public Pipe Send { get; } = new(options.Output);

        public PipeReader Input => Receive.Reader;

        public PipeWriter Output => Send.Writer;
    }
}
