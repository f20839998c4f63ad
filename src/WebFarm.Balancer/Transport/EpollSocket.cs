using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WebFarm.Balancer.Async;

namespace WebFarm.Balancer.Transport;

/// <summary>
/// A non-blocking TCP socket registered with an <see cref="EpollLoop"/>. Receives and sends are plain recv()/send()
/// calls made only when the direction's <see cref="ReadinessGate"/> says they can succeed, and a waiting operation
/// resumes inline on the loop thread. The <see cref="Socket"/> it wraps owns the descriptor and is used for what is
/// not on the hot path (accept, options, addresses, shutdown, close); it never runs an asynchronous operation, so
/// .NET's own engine never registers it. What goes wrong on the loop thread for this socket is reported through the
/// logger of whoever made it (the transport's for client connections).
/// </summary>
internal sealed partial class EpollSocket : ITcpChannel
{
    private const int WouldBlock = int.MinValue;
    private const int Aborted = int.MinValue + 1;
    private const int Interrupted = int.MinValue + 2;
    private const int MaxVectors = 16;

    private readonly Socket _socket;
    private readonly SafeSocketHandle _handle;
    private readonly int _fd;
    private readonly EpollLoop _loop;
    private readonly ILogger _logger;
    private readonly ReadinessGate _receive = new(ready: false);
    private readonly ReadinessGate _send;
    private int _disposed;
    private EndPoint? _connectedTo;
    private Action<object?>? _onHangUp;
    private object? _onHangUpState;

    private EpollSocket(Socket socket, bool connected, ILogger logger)
    {
        _logger = logger;
        socket.Blocking = false;
        _socket = socket;
        _handle = socket.SafeHandle;
        _fd = (int)_handle.DangerousGetHandle();

        // A connecting socket becomes writable when the connection is made (or fails).
        _send = new ReadinessGate(ready: connected);
        _loop = EpollLoop.Pick();
        _loop.Register(this, _fd);
    }

    /// <remarks>A connection this socket opened (see <see cref="StartConnect"/>) is unknown to <see cref="Socket"/>, which then reports no addresses: they are asked of the kernel and kept.</remarks>
    public EndPoint? LocalEndPoint => _socket.LocalEndPoint ?? QueryLocalEndPoint();

    public EndPoint? RemoteEndPoint => _socket.RemoteEndPoint ?? _connectedTo;

    /// <summary>Dispose has begun; the gates close right after, so a direction that is not ready is closed for good.</summary>
    private bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>The loop has seen the peer's FIN, a hang-up or an error (see <see cref="ReadinessGate.IsFinal"/>).</summary>
    internal bool ReceiveEndReported => _receive.IsFinal;

    /// <summary>Takes over an accepted connection; its loop failures are reported through <paramref name="logger"/>.</summary>
    public static EpollSocket FromAccepted(Socket socket, ILogger logger) => new(socket, connected: true, logger);

    /// <summary>
    /// Opens a connection to one address, or to each address of a name in turn until one accepts. Its loop failures
    /// are reported through <paramref name="logger"/> (none: not reported).
    /// </summary>
    /// <exception cref="SocketException">Refused or unreachable (the last address's error).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired first.</exception>
    public static async ValueTask<EpollSocket> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken, ILogger? logger = null)
    {
        logger ??= NullLogger.Instance;
        if (endPoint is IPEndPoint ip)
        {
            return await ConnectAsync(ip, logger, cancellationToken).ConfigureAwait(false);
        }

        if (endPoint is not DnsEndPoint dns)
        {
            throw new ArgumentException($"unsupported endpoint {endPoint}", nameof(endPoint));
        }

        var addresses = await Dns.GetHostAddressesAsync(dns.Host, cancellationToken).ConfigureAwait(false);
        SocketException? last = null;
        foreach (var address in addresses)
        {
            try
            {
                return await ConnectAsync(new IPEndPoint(address, dns.Port), logger, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                last = ex;
            }
        }

        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    public ValueTask<int> ReceiveAsync(Memory<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            throw new ArgumentException("a receive needs room for at least one byte", nameof(buffer));
        }

        var result = TryReceive(buffer.Span);
        if (result >= 0)
        {
            return new ValueTask<int>(result);
        }

        return result == WouldBlock ? ReceiveWhenReadyAsync(buffer) : ValueTask.FromException<int>(ToException(result));
    }

    /// <summary>
    /// One receive that never waits, for a reader that waits itself (<see cref="EpollSocketReader"/>, so that it can be
    /// woken for other reasons): bytes received (0: the peer closed its side), or -1 when nothing is there yet (then
    /// wait with <see cref="WaitUntilReceivableAsync"/>). Costs no system call while the direction is known not ready.
    /// </summary>
    /// <exception cref="SocketException">Reset, or the socket was closed (<see cref="SocketError.OperationAborted"/>).</exception>
    internal int ReceiveNow(Span<byte> buffer)
    {
        var result = TryReceive(buffer);
        if (result >= 0)
        {
            return result;
        }

        return result == WouldBlock ? -1 : throw ToException(result);
    }

    /// <summary>
    /// Wakes a <see cref="WaitUntilReceivableAsync"/> caller although nothing was reported (its reader was asked to stop
    /// waiting). The direction then looks ready once: the next receive finds nothing and costs one recv() that fails
    /// with EAGAIN, after which it waits for the kernel's reports again; no report is lost.
    /// </summary>
    internal void WakeReceiver() => _receive.Signal();

    /// <summary>
    /// Completes when a receive may find bytes, the end of the stream or an error, without taking a buffer (at once when
    /// it already may). A connection that waits here instead of in <see cref="ReceiveAsync"/> holds no buffer while
    /// idle, as Kestrel's socket transport does with its zero-byte reads. Costs no system call.
    /// </summary>
    public ValueTask WaitUntilReceivableAsync() => _receive.WaitAsync();

    /// <remarks>
    /// Made on this socket's loop thread and small (see <see cref="HoldLimit"/>), the send is held and made when the loop
    /// has handled its whole batch of reports (<see cref="SendHeld"/>), and completes at once. Any other send goes out
    /// now, after what is held.
    /// </remarks>
    public ValueTask SendAsync(ReadOnlyMemory<byte> data)
    {
        if (data.Length <= HoldLimit && _loop.IsCurrent && TryHold(data.Span))
        {
            return default;
        }

        if (IsHolding)
        {
            var sendingHeld = SendHeldFirst();
            if (!sendingHeld.IsCompletedSuccessfully)
            {
                return SendAfterAsync(sendingHeld, data);
            }
        }

        return SendNow(data);
    }

    private ValueTask SendNow(ReadOnlyMemory<byte> data)
    {
        var sent = TrySend(data.Span);
        if (sent == data.Length)
        {
            return default;
        }

        return sent >= 0 ? SendWhenReadyAsync(data[sent..]) : ValueTask.FromException(ToException(sent));
    }

    /// <summary>Sends all of <paramref name="data"/>, several segments per system call.</summary>
    public ValueTask SendAsync(in ReadOnlySequence<byte> data)
    {
        if (data.IsSingleSegment)
        {
            return SendAsync(data.First);
        }

        if (IsHolding)
        {
            var sendingHeld = SendHeldFirst();
            if (!sendingHeld.IsCompletedSuccessfully)
            {
                return SendAfterAsync(sendingHeld, data);
            }
        }

        return SendSegmentsAsync(data);
    }

    /// <summary>
    /// Stops one or both directions (a FIN for <see cref="SocketShutdown.Send"/>); errors are ignored, as after a reset.
    /// The FIN follows every byte of a held send: when the kernel cannot take them all now, the loop sends the FIN
    /// after the rest (<see cref="SendHeld"/>).
    /// </summary>
    public void Shutdown(SocketShutdown how)
    {
        if (IsHolding && how != SocketShutdown.Receive && DeferShutdown(how))
        {
            return;
        }

        ShutdownNow(how);
    }

    private void ShutdownNow(SocketShutdown how)
    {
        try
        {
            _socket.Shutdown(how);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Not connected any more: nothing to shut down.
        }
    }

    /// <summary>
    /// Closes the socket; a waiting receive or send fails with <see cref="SocketError.OperationAborted"/>. Safe from any
    /// thread, more than once. After a <see cref="Shutdown"/> that waits for held bytes (a graceful close to a client
    /// whose kernel buffer is full), the close waits for them too, at most <see cref="LingerTimeout"/>; otherwise what is
    /// still held is dropped, as an abort drops it.
    /// </summary>
    public void Dispose()
    {
        if (LingerForHeld())
        {
            return;
        }

        Close();
    }

    private void Close()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        DropHeld();

        _loop.Unregister(this, _fd);

        // The descriptor closes when no system call holds the handle any more (each one takes a reference), so a
        // receive still running on the loop thread never reads from a descriptor number reused by someone else.
        _socket.Dispose();
        _receive.Close();
        _send.Close();
    }

    /// <summary>
    /// Calls <paramref name="callback"/> (on the loop thread: it must only queue work) when the loop reports a hang-up or
    /// an error for this socket (a reset, or both directions closed), not for the peer's FIN alone. For a connection
    /// whose receives are made only when its application reads (<see cref="EpollConnection.TakeSocket"/>), this is what
    /// still tells a request waiting for its server that the client is gone. Set once, before the socket is used.
    /// </summary>
    internal void OnHangUp(Action<object?> callback, object? state)
    {
        _onHangUpState = state;
        Volatile.Write(ref _onHangUp, callback);
    }

    /// <summary>Removes the <see cref="OnHangUp"/> callback (the connection's receive loop reports the end from now on).</summary>
    internal void ClearHangUp() => Volatile.Write(ref _onHangUp, null);

    /// <summary>Called by the loop thread when running <see cref="OnEvents"/> threw: what the loop resumed failed.</summary>
    internal void ReportLoopFailure(Exception exception) => Log.LoopCallbackFailed(_logger, _fd, exception);

    /// <summary>Called by the loop thread with a report for this socket.</summary>
    internal void OnEvents(uint events)
    {
        // The peer's FIN (RDHUP), a hang-up or an error is reported once; the receive gate keeps it (ReadinessGate.IsFinal).
        // The send side needs no such memory: a send never stops early on its own, it runs until EAGAIN or an error.
        const uint End = Libc.EPOLLRDHUP | Libc.EPOLLHUP | Libc.EPOLLERR;
        if ((events & (Libc.EPOLLIN | End)) != 0)
        {
            _receive.Signal(final: (events & End) != 0);
        }

        if ((events & (Libc.EPOLLHUP | Libc.EPOLLERR)) != 0 && _onHangUp is { } hangUp)
        {
            _onHangUp = null;
            hangUp(_onHangUpState);
        }

        if ((events & (Libc.EPOLLOUT | Libc.EPOLLHUP | Libc.EPOLLERR)) != 0)
        {
            // Held bytes the kernel could not take go out in this pass's sweep, before a waiting send resumes (it
            // sends them first itself when it runs before the sweep).
            if (IsHolding)
            {
                ListForSweep();
            }

            _send.Signal();
        }
    }

    private static async ValueTask<EpollSocket> ConnectAsync(IPEndPoint endPoint, ILogger logger, CancellationToken cancellationToken)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, Blocking = false };
        EpollSocket? epoll = null;
        try
        {
            StartConnect(socket, endPoint);

            epoll = new EpollSocket(socket, connected: false, logger) { _connectedTo = endPoint };
            using (cancellationToken.UnsafeRegister(static s => ((EpollSocket)s!).Dispose(), epoll))
            {
                await epoll._send.WaitAsync().ConfigureAwait(false);
            }

            cancellationToken.ThrowIfCancellationRequested();
            var error = epoll.PendingError();
            if (error != 0)
            {
                throw new SocketException((int)Errno.ToSocketError(error));
            }

            return epoll;
        }
        catch
        {
            if (epoll is not null)
            {
                epoll.Dispose();
            }
            else
            {
                socket.Dispose();
            }

            throw;
        }
    }

    /// <summary>
    /// Starts the handshake of a non-blocking socket with connect(2) itself: "in progress" is the normal answer, and
    /// Socket.Connect reports it as a SocketException, whose throw and catch cost 6.5% of the balancer's CPU on a TCP
    /// rule's new connections (perf during bench/tcp/run.sh). A synchronous call, so .NET's engine never registers the
    /// socket.
    /// </summary>
    /// <exception cref="SocketException">Failed at once (refused, unreachable).</exception>
    private static unsafe void StartConnect(Socket socket, IPEndPoint endPoint)
    {
        // struct sockaddr_in (16 bytes) or sockaddr_in6 (28): family in host order, port in network order.
        Span<byte> address = stackalloc byte[28];
        address.Clear();
        uint length;
        if (endPoint.AddressFamily == AddressFamily.InterNetwork)
        {
            MemoryMarshal.Write(address, Libc.AF_INET);
            endPoint.Address.TryWriteBytes(address[4..], out _);
            length = 16;
        }
        else
        {
            MemoryMarshal.Write(address, Libc.AF_INET6);
            endPoint.Address.TryWriteBytes(address[8..], out _);
            MemoryMarshal.Write(address[24..], (uint)endPoint.Address.ScopeId);
            length = 28;
        }

        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(address[2..], (ushort)endPoint.Port);
        var handle = socket.SafeHandle;
        var added = false;
        int result;
        try
        {
            handle.DangerousAddRef(ref added);
            fixed (byte* pointer = address)
            {
                result = Libc.Connect(handle.DangerousGetHandle(), pointer, length);
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }

        if (result != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is not (Libc.EINPROGRESS or Libc.EINTR))
            {
                throw new SocketException((int)Errno.ToSocketError(errno));
            }
        }
    }

    /// <summary>getsockname(2), for a connection opened with <see cref="StartConnect"/>; null once closed.</summary>
    private unsafe IPEndPoint? QueryLocalEndPoint()
    {
        if (IsDisposed || !TryReference())
        {
            return null;
        }

        Span<byte> address = stackalloc byte[28];
        uint length = 28;
        int result;
        try
        {
            fixed (byte* pointer = address)
            {
                result = Libc.GetSockName(_fd, pointer, &length);
            }
        }
        finally
        {
            _handle.DangerousRelease();
        }

        if (result != 0)
        {
            return null;
        }

        var port = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(address[2..]);
        return MemoryMarshal.Read<ushort>(address) == Libc.AF_INET
            ? new IPEndPoint(new IPAddress(address.Slice(4, 4)), port)
            : new IPEndPoint(new IPAddress(address.Slice(8, 16), MemoryMarshal.Read<uint>(address[24..])), port);
    }

    private static Exception ToException(int result)
        => result == Aborted
            ? new SocketException((int)SocketError.OperationAborted)
            : new SocketException((int)Errno.ToSocketError(-result));

    /// <summary>SO_ERROR: the outcome of a non-blocking connect (0 when it succeeded).</summary>
    private unsafe int PendingError()
    {
        if (IsDisposed || !TryReference())
        {
            return Libc.ECONNABORTED;
        }

        try
        {
            int value = 0;
            uint length = sizeof(int);
            return Libc.GetSockOpt(_fd, Libc.SOL_SOCKET, Libc.SO_ERROR, &value, &length) == 0 ? value : Marshal.GetLastPInvokeError();
        }
        finally
        {
            _handle.DangerousRelease();
        }
    }

    /// <summary>
    /// Takes a reference on the descriptor for one system call (release it with DangerousRelease); false once the
    /// socket is closed. While referenced, the descriptor cannot be closed and its number reused.
    /// </summary>
    private bool TryReference()
    {
        var added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
        }

        return added;
    }

    /// <summary>
    /// What a failed system call means for <paramref name="gate"/>: WouldBlock on EAGAIN (the gate stays NotReady
    /// until epoll reports), otherwise the gate is usable again and the result is Interrupted (EINTR: try again) or -errno.
    /// </summary>
    private static int Failure(ReadinessGate gate)
    {
        var errno = Marshal.GetLastPInvokeError();
        if (errno == Libc.EAGAIN)
        {
            return WouldBlock;
        }

        gate.MarkReady();
        return errno == Libc.EINTR ? Interrupted : -errno;
    }

    /// <summary>One recv() if the direction may be ready: bytes received (0 = the peer closed), or WouldBlock, Aborted, -errno.</summary>
    private unsafe int TryReceive(Span<byte> buffer)
    {
        // A held send failed: the connection is broken, and the receive says so (as the kernel's would after a send
        // of its own buffer failed).
        var heldError = Volatile.Read(ref _heldError);
        if (heldError != 0)
        {
            return -heldError;
        }

        while (true)
        {
            if (!_receive.TryClaim() || !TryReference())
            {
                return IsDisposed ? Aborted : WouldBlock;
            }

            nint received;
            try
            {
                fixed (byte* pointer = buffer)
                {
                    received = Libc.Recv(_fd, pointer, (nuint)buffer.Length, 0);
                }
            }
            finally
            {
                _handle.DangerousRelease();
            }

            if (received < 0)
            {
                var failure = Failure(_receive);
                if (failure == Interrupted)
                {
                    continue;
                }

                return failure;
            }

            // A full buffer may have left bytes behind; a short read emptied the socket, and new bytes will be
            // reported (epoll(7): for stream sockets a short read shows the data is exhausted). Not so for a FIN
            // already reported (it may sit behind the bytes just read): then the next receive must try. After the
            // end of the stream every further receive returns 0 at once.
            if (received == buffer.Length || received == 0 || _receive.IsFinal)
            {
                _receive.MarkReady();
            }

            return (int)received;
        }
    }

    /// <summary>send() until all is taken or the kernel would block: bytes sent (maybe fewer than asked, maybe 0), or Aborted, -errno.</summary>
    private unsafe int TrySend(ReadOnlySpan<byte> data)
    {
        var total = 0;
        while (total < data.Length)
        {
            if (!_send.TryClaim() || !TryReference())
            {
                return IsDisposed ? Aborted : total;
            }

            nint sent;
            try
            {
                fixed (byte* pointer = data)
                {
                    sent = Libc.Send(_fd, pointer + total, (nuint)(data.Length - total), Libc.MSG_NOSIGNAL);
                }
            }
            finally
            {
                _handle.DangerousRelease();
            }

            if (sent < 0)
            {
                var failure = Failure(_send);
                if (failure == Interrupted)
                {
                    continue;
                }

                return failure == WouldBlock ? total : failure;
            }

            // Even after a partial send, try again: waiting is only safe once the kernel said EAGAIN.
            total += (int)sent;
            _send.MarkReady();
        }

        return total;
    }

    /// <summary>One sendmsg() of up to <see cref="MaxVectors"/> segments: bytes sent (0 when it would block), or Aborted, -errno.</summary>
    private unsafe int TrySendSegments(in ReadOnlySequence<byte> data)
    {
        var vectors = stackalloc Libc.IoVector[MaxVectors];
        while (true)
        {
            if (!_send.TryClaim() || !TryReference())
            {
                return IsDisposed ? Aborted : 0;
            }

            var handles = default(SegmentHandles);
            var count = 0;
            nint sent;
            try
            {
                foreach (var segment in data)
                {
                    if (segment.IsEmpty)
                    {
                        continue;
                    }

                    handles[count] = segment.Pin();
                    vectors[count].Base = (byte*)handles[count].Pointer;
                    vectors[count].Length = (nuint)segment.Length;
                    if (++count == MaxVectors)
                    {
                        break;
                    }
                }

                var message = default(Libc.MessageHeader);
                message.Vectors = vectors;
                message.VectorCount = (nuint)count;
                sent = Libc.SendMsg(_fd, &message, Libc.MSG_NOSIGNAL);
            }
            finally
            {
                _handle.DangerousRelease();
                for (var i = 0; i < count; i++)
                {
                    handles[i].Dispose();
                }
            }

            if (sent < 0)
            {
                var failure = Failure(_send);
                if (failure == Interrupted)
                {
                    continue;
                }

                return failure == WouldBlock ? 0 : failure;
            }

            _send.MarkReady();
            return (int)sent;
        }
    }

    [AsyncMethodBuilder(typeof(PooledValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReceiveWhenReadyAsync(Memory<byte> buffer)
    {
        while (true)
        {
            await _receive.WaitAsync().ConfigureAwait(false);
            var result = TryReceive(buffer.Span);
            if (result >= 0)
            {
                return result;
            }

            if (result != WouldBlock)
            {
                throw ToException(result);
            }
        }
    }

    private async ValueTask SendWhenReadyAsync(ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            await _send.WaitAsync().ConfigureAwait(false);
            var sent = TrySend(data.Span);
            if (sent < 0)
            {
                throw ToException(sent);
            }

            data = data[sent..];
        }
    }

    private async ValueTask SendSegmentsAsync(ReadOnlySequence<byte> data)
    {
        while (!data.IsEmpty)
        {
            var sent = TrySendSegments(data);
            if (sent < 0)
            {
                throw ToException(sent);
            }

            if (sent == 0)
            {
                await _send.WaitAsync().ConfigureAwait(false);
                continue;
            }

            data = data.Slice(sent);
        }
    }

    /// <summary>The pins of one sendmsg()'s segments, on the stack.</summary>
    [InlineArray(MaxVectors)]
    private struct SegmentHandles
    {
        private MemoryHandle _first;
    }
}
