using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Connections;
using WebFarm.Balancer.Async;

namespace WebFarm.Balancer.Transport;

/// <summary>
/// A client connection's input read straight off its <see cref="EpollSocket"/> into one buffer of its own, with the
/// <see cref="PipeReader"/> contract the HTTP/1.1 front end reads with (<see cref="EpollSocketPipe"/>): a read returns
/// the bytes not consumed yet, and receives (one non-blocking recv()) only when the last read's bytes were all examined.
/// No pipe, receive loop or second copy is between the kernel and the front end's parser. One reader at a time, as a
/// pipe's; <see cref="CancelPendingRead"/> may come from any thread (the front end's heartbeat, the server's stop).
/// </summary>
/// <remarks>
/// Memory: the buffer is taken when the socket becomes readable and given back as soon as every byte in it is
/// consumed, so an idle keep-alive connection holds none (as the piped transport's receive loop does). It starts at one
/// 4 KiB block and grows only while an unconsumed head fills it (the front end hands a head over 16 KiB to Kestrel,
/// <see cref="FrontEnd.ClientRequestHead.MaxLength"/>, so it stays below 32 KiB); nothing is received while unexamined
/// bytes are waiting, so a client that pipelines without reading its answers cannot make it grow.
/// </remarks>
internal sealed class EpollSocketReader(EpollSocket socket) : PipeReader
{
    private const int ReceiveSize = 4096;

    private byte[]? _buffer;
    private int _start;
    private int _end;

    // The last read's bytes were all examined (an incomplete head): the next read receives before it returns.
    private bool _examinedAll;

    // The peer sent its FIN (a receive returned 0).
    private bool _completed;
    private int _cancelRequested;

    /// <summary>The bytes received and not consumed yet (what a hand-off to the piped transport must carry over).</summary>
    public ReadOnlyMemory<byte> Unconsumed => _buffer is null ? default : _buffer.AsMemory(_start, _end - _start);

    private ReadOnlySequence<byte> Buffered => _buffer is null ? default : new ReadOnlySequence<byte>(_buffer, _start, _end - _start);

    public override bool TryRead(out ReadResult result)
    {
        if (Interlocked.Exchange(ref _cancelRequested, 0) != 0)
        {
            result = new ReadResult(Buffered, isCanceled: true, _completed);
            return true;
        }

        if ((_end > _start && !_examinedAll) || _completed)
        {
            result = new ReadResult(Buffered, isCanceled: false, _completed);
            return true;
        }

        result = default;
        return false;
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        => TryRead(out var result) ? new ValueTask<ReadResult>(result) : ReceiveAsync(cancellationToken);

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        if (_buffer is null)
        {
            return; // An empty read (the end of the input) consumed nothing.
        }

        if (!ReferenceEquals(consumed.GetObject(), _buffer) || !ReferenceEquals(examined.GetObject(), _buffer))
        {
            throw new InvalidOperationException("the position is not from this reader's last read");
        }

        var consumedAt = consumed.GetInteger();
        var examinedAt = examined.GetInteger();
        if (consumedAt < _start || consumedAt > _end || examinedAt < consumedAt || examinedAt > _end)
        {
            throw new ArgumentOutOfRangeException(nameof(consumed), "the position is outside the bytes last read");
        }

        _start = consumedAt;
        _examinedAll = examinedAt == _end;
        if (_start == _end)
        {
            ReturnBuffer();
        }
    }

    public override void CancelPendingRead()
    {
        Volatile.Write(ref _cancelRequested, 1);
        socket.WakeReceiver();
    }

    /// <summary>Gives the buffer back; the socket itself is the connection's to close.</summary>
    public override void Complete(Exception? exception = null) => ReturnBuffer();

    private static Exception Translate(SocketException ex)
        => ex.SocketErrorCode == SocketError.OperationAborted
            ? new ConnectionAbortedException("the connection was closed", ex)
            : new ConnectionResetException(ex.Message, ex);

    // A keep-alive connection waits here for every request: pooled, so the wait allocates nothing.
    [AsyncMethodBuilder(typeof(PooledValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult> ReceiveAsync(CancellationToken cancellationToken)
    {
        using var registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static state => ((EpollSocketReader)state!).CancelPendingRead(), this)
            : default;
        while (true)
        {
            if (Interlocked.Exchange(ref _cancelRequested, 0) != 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                return new ReadResult(Buffered, isCanceled: true, _completed);
            }

            if (_buffer is null)
            {
                // Wait for bytes before taking a buffer, so an idle connection holds none.
                await socket.WaitUntilReceivableAsync().ConfigureAwait(false);
                if (Volatile.Read(ref _cancelRequested) != 0)
                {
                    continue;
                }

                _buffer = ArrayPool<byte>.Shared.Rent(ReceiveSize);
                _start = _end = 0;
            }

            MakeRoom();
            int received;
            try
            {
                received = socket.ReceiveNow(_buffer.AsSpan(_end));
            }
            catch (SocketException ex)
            {
                throw Translate(ex);
            }

            if (received < 0)
            {
                if (_start == _end)
                {
                    // Nothing held: give the buffer back and wait above, where a buffer is taken only once bytes are there.
                    ReturnBuffer();
                    continue;
                }

                await socket.WaitUntilReceivableAsync().ConfigureAwait(false);
                continue;
            }

            if (received == 0)
            {
                _completed = true;
            }
            else
            {
                _end += received;
                _examinedAll = false;
            }

            return new ReadResult(Buffered, isCanceled: Interlocked.Exchange(ref _cancelRequested, 0) != 0, _completed);
        }
    }

    /// <summary>Makes room after the unconsumed bytes: moves them to the front, or a larger buffer when they fill it.</summary>
    private void MakeRoom()
    {
        var buffer = _buffer!;
        if (_end < buffer.Length)
        {
            return;
        }

        var length = _end - _start;
        if (_start > 0)
        {
            buffer.AsSpan(_start, length).CopyTo(buffer);
        }
        else
        {
            var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
            buffer.AsSpan(0, length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(buffer);
            _buffer = larger;
        }

        _start = 0;
        _end = length;
    }

    private void ReturnBuffer()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }

        _start = _end = 0;
    }
}
