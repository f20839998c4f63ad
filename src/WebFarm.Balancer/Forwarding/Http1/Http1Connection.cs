using WebFarm.Balancer.Transport;

namespace WebFarm.Balancer.Forwarding.Http1;

/// <summary>
/// One keep-alive HTTP/1.1 connection to a server, with its receive buffer. Owned by one exchange at a time;
/// between exchanges it sits in its <see cref="Http1ConnectionPool"/> with a receive already posted (the
/// "read-ahead"): if that receive completes while the connection is idle, the server closed it (or sent bytes
/// nobody asked for) and the connection is discarded instead of being handed to a request. The same posted
/// receive then serves as the first read of the next response, so the check costs no extra system call.
/// </summary>
internal sealed class Http1Connection : IDisposable
{
    /// <summary>Receive buffer size; a response head may grow it up to <see cref="MaxBufferSize"/>.</summary>
    public const int BufferSize = 16 * 1024;

    /// <summary>Largest response head (status line, headers) accepted from a server.</summary>
    public const int MaxBufferSize = 64 * 1024;

    private readonly ITcpChannel _channel;

    // Plain arrays, not pooled: a receive may still be running on the socket engine's thread when an aborted
    // connection is dropped, so the buffer must never be handed to anyone else.
    private byte[] _buffer = GC.AllocateUninitializedArray<byte>(BufferSize);
    private int _start;
    private int _end;
    private ValueTask<int> _readAhead;
    private bool _readAheadPosted;
    private int _disposed;

    public Http1Connection(ITcpChannel channel)
    {
        _channel = channel;
    }

    /// <summary>True once the connection served an exchange: a failure before any response byte may then be a server that closed it while idle.</summary>
    public bool Reused { get; set; }

    /// <summary>Environment.TickCount64 when the connection last went back to its pool.</summary>
    public long IdleSince { get; set; }

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>The connection to the server (the epoll transport's socket or .NET's).</summary>
    public ITcpChannel Channel => _channel;

    /// <summary>The received bytes not consumed yet.</summary>
    public ReadOnlySpan<byte> Buffered => _buffer.AsSpan(_start, _end - _start);

    public int BufferedCount => _end - _start;

    public void Consume(int count) => _start += count;

    /// <summary>Sends all of <paramref name="data"/>; completes synchronously when the socket takes it at once (the usual case).</summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> data) => _channel.SendAsync(data);

    /// <summary>
    /// Receives more bytes after the buffered ones (completing the read-ahead if one is posted). The caller passes
    /// the result to <see cref="OnReceived"/>: 0 means the server closed the connection. Not an async method on
    /// purpose: this runs for every response, and the socket's own ValueTask needs no state machine around it.
    /// </summary>
    /// <exception cref="Http1ProtocolException">The buffered bytes already fill <see cref="MaxBufferSize"/> (an oversized head or chunk line).</exception>
    public ValueTask<int> ReceiveAsync()
    {
        if (_readAheadPosted)
        {
            _readAheadPosted = false;
            return _readAhead;
        }

        MakeRoom();
        return _channel.ReceiveAsync(_buffer.AsMemory(_end));
    }

    /// <summary>Accounts for <paramref name="count"/> bytes that <see cref="ReceiveAsync"/> put in the buffer.</summary>
    public void OnReceived(int count) => _end += count;

    /// <summary>Posts the idle-time receive (see the class remarks). Only valid with nothing buffered.</summary>
    public void PostReadAhead()
    {
        _start = 0;
        _end = 0;
        if (_buffer.Length > BufferSize)
        {
            _buffer = GC.AllocateUninitializedArray<byte>(BufferSize);
        }

        _readAhead = _channel.ReceiveAsync(_buffer.AsMemory());
        _readAheadPosted = true;
    }

    /// <summary>
    /// True when the connection can take a new exchange: its read-ahead is still waiting. A completed
    /// read-ahead means the server closed the connection, failed it, or sent an unsolicited response.
    /// </summary>
    public bool IsReusable()
    {
        if (IsDisposed)
        {
            return false;
        }

        if (!_readAheadPosted || !_readAhead.IsCompleted)
        {
            return true;
        }

        _readAheadPosted = false;
        try
        {
            _ = _readAhead.GetAwaiter().GetResult();
        }
        catch (Exception)
        {
            // Reset or aborted: unusable either way.
        }

        return false;
    }

    /// <summary>Closes the socket; a pending receive or send then fails. Safe from any thread, more than once.</summary>
    public void Abort() => Dispose();

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _channel.Dispose();
        }
    }

    private void MakeRoom()
    {
        if (_start == _end)
        {
            _start = 0;
            _end = 0;
            return;
        }

        if (_end < _buffer.Length)
        {
            return;
        }

        var count = _end - _start;
        if (_start > 0)
        {
            // Move the unconsumed tail to the front.
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, count);
        }
        else if (_buffer.Length < MaxBufferSize)
        {
            var larger = GC.AllocateUninitializedArray<byte>(Math.Min(_buffer.Length * 2, MaxBufferSize));
            Buffer.BlockCopy(_buffer, 0, larger, 0, count);
            _buffer = larger;
        }
        else
        {
            throw new Http1ProtocolException($"more than {MaxBufferSize / 1024} KiB without the end of the response head or chunk line");
        }

        _start = 0;
        _end = count;
    }
}
