using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace WebFarm.Balancer.Transport;

/// <summary>
/// A client connection's output written straight to its <see cref="EpollSocket"/>, with the <see cref="PipeWriter"/>
/// contract the HTTP/1.1 front end writes with (<see cref="EpollSocketPipe"/>): writes gather in one buffer and a flush
/// is one send() of all of it (a response head and a small body: one system call per response), waiting for
/// writability only when the kernel's send buffer is full. No pipe or send loop is between the front end and the kernel.
/// </summary>
/// <remarks>
/// Back-pressure: a flush completes only when the kernel took every byte (or the socket holds them for the end of the
/// loop's pass, at most one pool block: <see cref="EpollSocket.HoldLimit"/>), and the front end writes at most one
/// upstream read's worth between flushes (Http1Forwarder flushes before it receives more), so a client that reads
/// slowly stops the upstream reads instead of making the balancer buffer its response. The buffer is given back after
/// each flush, so an idle connection holds none.
/// </remarks>
internal sealed class EpollSocketWriter(EpollSocket socket, ConnectionContext connection) : PipeWriter
{
    private const int MinimumSize = 4096;

    private byte[]? _buffer;
    private int _length;

    // A send failed: the client is gone, and every later flush says so (as a pipe whose reader completed).
    private bool _failed;

    public override void Advance(int bytes)
    {
        if (bytes < 0 || _buffer is null || _length + bytes > _buffer.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "more bytes than the span or memory last asked for");
        }

        _length += bytes;
    }

    public override Memory<byte> GetMemory(int sizeHint = 0) => Reserve(sizeHint).AsMemory(_length);

    public override Span<byte> GetSpan(int sizeHint = 0) => Reserve(sizeHint).AsSpan(_length);

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_length == 0 || _failed)
        {
            ReturnBuffer();
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: _failed));
        }

        var sending = socket.SendAsync(_buffer.AsMemory(0, _length));
        if (sending.IsCompletedSuccessfully)
        {
            ReturnBuffer();
            return default;
        }

        return SendSlowlyAsync(sending, cancellationToken);
    }

    /// <summary>Nothing to cancel but a send waiting for a slow client, which the flush's token ends.</summary>
    public override void CancelPendingFlush()
    {
    }

    /// <summary>Drops what was not flushed and gives the buffer back; the socket itself is the connection's to close.</summary>
    public override void Complete(Exception? exception = null) => ReturnBuffer();

    /// <summary>
    /// A send the kernel could not take at once (a slow or gone client). The flush's token (the exchange's timeout, the
    /// client's end) cannot stop a send halfway and leave the connection usable, so it aborts the connection, which
    /// ends the send; the flush then throws <see cref="OperationCanceledException"/> as a pipe's flush would.
    /// </summary>
    private async ValueTask<FlushResult> SendSlowlyAsync(ValueTask sending, CancellationToken cancellationToken)
    {
        using var registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static state => ((ConnectionContext)state!).Abort(new ConnectionAbortedException("WebFarm: the response could not be sent in time.")), connection)
            : default;
        try
        {
            await sending.ConfigureAwait(false);
            return default;
        }
        catch (SocketException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            _failed = true;
            return new FlushResult(isCanceled: false, isCompleted: true);
        }
        finally
        {
            ReturnBuffer();
        }
    }

    /// <summary>A buffer with room for <paramref name="sizeHint"/> more bytes (at least one) after those written.</summary>
    private byte[] Reserve(int sizeHint)
    {
        var needed = _length + Math.Max(sizeHint, 1);
        if (_buffer is null)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(needed, MinimumSize));
        }
        else if (needed > _buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _buffer.Length * 2));
            _buffer.AsSpan(0, _length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        return _buffer;
    }

    private void ReturnBuffer()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }

        _length = 0;
    }
}
