using System.Buffers;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace WebFarm.Balancer.Transport;

/// <summary>
/// Sends held to the end of the loop's pass. A small send made on the socket's own loop thread is copied into a pooled
/// block and made when the loop has handled every report of its epoll_wait (<see cref="EpollLoop"/>'s sweep), as
/// HAProxy makes its sends at the end of its loop: wrk and nginx on the other core, woken by the first send of a pass,
/// find the rest of the pass's bytes already there instead of being woken once per send. Measured with the prototype
/// (docs/benchmarks.md, "One binary, two speeds"): 184-358 wake-ups per 1000 requests sending at once against about
/// half that held, and -8% to -13% CPU per request.
/// </summary>
/// <remarks>
/// Order: a send that is not held (another thread's, a large one, several segments) first sends what is held, and
/// waits for it when the kernel cannot take it yet. Errors: a held send that fails in the sweep is kept and reported to
/// every later send and receive, as the kernel reports a failure of bytes in its own send buffer. Memory: the block is
/// rented when the first byte is held and given back when the last one is sent, so an idle connection holds none.
/// Back-pressure: at most one block is held beyond what the kernel took; a send that does not fit waits until the
/// held bytes are sent, so a slow reader still stops its writer.
/// </remarks>
internal sealed partial class EpollSocket
{
    /// <summary>
    /// The largest send that is held: one pool block. The benchmark's requests and responses are 100-300 bytes (a
    /// response head and "backend 1: hello"), so a block holds every send of a pass for a connection; larger sends
    /// (a page, a TLS record of 16 KiB) gain little from waiting and would need more memory per connection.
    /// </summary>
    internal const int HoldLimit = PinnedBlockPool.BlockSize;

    /// <summary>
    /// How long a gracefully closed socket waits for its held bytes before it closes anyway (a client that stopped
    /// reading); the kernel's own unsent bytes after close() get a like bound from its FIN and retransmission timeouts.
    /// </summary>
    internal static readonly TimeSpan LingerTimeout = TimeSpan.FromSeconds(30);

    // Guards the held block: the loop thread holds and sweeps, while a send from another thread, Shutdown or Dispose
    // may send or drop it. Taken only by sockets that hold bytes (or are about to), uncontended in practice.
    private readonly Lock _heldLock = new();
    private IMemoryOwner<byte>? _heldOwner;
    private byte[]? _held;
    private int _heldStart;
    private int _heldEnd;

    // The errno of a held send that failed; reported to every later send and receive.
    private int _heldError;

    // A Shutdown that waits for the held bytes (SocketShutdown + 1; 0: none).
    private int _shutdownAfterHeld;

    // Dispose came after a Shutdown that waits for held bytes: the socket closes once the sweep sent them (or failed),
    // or when the timer fires.
    private bool _closeAfterHeld;
    private Timer? _lingerTimer;

    // Listed for this pass's sweep; only the loop thread reads or writes it.
    private bool _listedForSweep;

    /// <summary>Bytes held for the sweep and not sent yet (for tests).</summary>
    internal int HeldBytes
    {
        get
        {
            lock (_heldLock)
            {
                return _heldEnd - _heldStart;
            }
        }
    }

    /// <summary>A pool block is rented for held bytes (for tests: an idle socket holds none).</summary>
    internal bool HoldsBlock
    {
        get
        {
            lock (_heldLock)
            {
                return _held is not null;
            }
        }
    }

    /// <summary>Holds bytes or a failure of held bytes: a send must go through them first.</summary>
    private bool IsHolding => Volatile.Read(ref _heldEnd) != 0 || Volatile.Read(ref _heldError) != 0;

    /// <summary>
    /// The loop's sweep, after every report of a pass was handled: sends what is held. What the kernel cannot take
    /// waits for the socket to become writable (<see cref="OnEvents"/> lists it for that pass's sweep); a failure is
    /// kept for the next call and wakes whoever waits on the socket.
    /// </summary>
    internal void SendHeld()
    {
        _listedForSweep = false;
        int failure;
        bool close;
        lock (_heldLock)
        {
            failure = SendHeldLocked();
            close = _closeAfterHeld && _held is null;
        }

        if (close)
        {
            CloseLingering();
            return;
        }

        if (failure != 0)
        {
            // A waiting receive or send resumes and finds the failure (inline, as for a report of the kernel's).
            _receive.Signal();
            _send.Signal();
        }
    }

    /// <summary>Copies <paramref name="data"/> behind what is held, on the loop thread; false when it cannot be held.</summary>
    private bool TryHold(ReadOnlySpan<byte> data)
    {
        lock (_heldLock)
        {
            if (_heldError != 0 || _shutdownAfterHeld != 0 || IsDisposed)
            {
                return false;
            }

            if (_held is null)
            {
                _heldOwner = PinnedBlockPool.Instance.Rent();
                _held = MemoryMarshal.TryGetArray<byte>(_heldOwner.Memory, out var array) ? array.Array! : throw new InvalidOperationException("pool blocks are arrays");
            }
            else if (_heldEnd + data.Length > _held.Length)
            {
                if (_heldEnd - _heldStart + data.Length > _held.Length)
                {
                    return false;
                }

                // A partial sweep left the rest in the middle of the block: move it to the front.
                _held.AsSpan(_heldStart, _heldEnd - _heldStart).CopyTo(_held);
                _heldEnd -= _heldStart;
                _heldStart = 0;
            }

            data.CopyTo(_held.AsSpan(_heldEnd));
            Volatile.Write(ref _heldEnd, _heldEnd + data.Length);
        }

        ListForSweep();
        return true;
    }

    /// <summary>Lists this socket for the sweep of the loop's current pass (loop thread only).</summary>
    private void ListForSweep()
    {
        if (!_listedForSweep)
        {
            _listedForSweep = true;
            _loop.HoldUntilEndOfPass(this);
        }
    }

    /// <summary>Sends what is held before another send: completes when it is all sent, fails with a held send's failure.</summary>
    private ValueTask SendHeldFirst()
    {
        int result;
        lock (_heldLock)
        {
            result = SendHeldLocked();
            if (result == 0 && _held is not null)
            {
                result = WouldBlock;
            }
        }

        return result switch
        {
            0 => default,
            WouldBlock => SendHeldWhenReadyAsync(),
            _ => ValueTask.FromException(ToException(result)),
        };
    }

    private async ValueTask SendHeldWhenReadyAsync()
    {
        while (true)
        {
            await _send.WaitAsync().ConfigureAwait(false);
            int result;
            lock (_heldLock)
            {
                result = SendHeldLocked();
                if (result == 0 && _held is null)
                {
                    return;
                }
            }

            if (result != 0)
            {
                throw ToException(result);
            }
        }
    }

    private async ValueTask SendAfterAsync(ValueTask sendingHeld, ReadOnlyMemory<byte> data)
    {
        await sendingHeld.ConfigureAwait(false);
        await SendNow(data).ConfigureAwait(false);
    }

    private async ValueTask SendAfterAsync(ValueTask sendingHeld, ReadOnlySequence<byte> data)
    {
        await sendingHeld.ConfigureAwait(false);
        await SendSegmentsAsync(data).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends what the kernel takes of the held bytes (under <see cref="_heldLock"/>): 0 when the rest waits (or nothing
    /// is held), otherwise the failure (Aborted or -errno), kept for later calls. When the last byte went, the block goes
    /// back to the pool and a Shutdown that waited for it is made.
    /// </summary>
    private int SendHeldLocked()
    {
        if (_heldError != 0)
        {
            return -_heldError;
        }

        if (_held is null)
        {
            return 0;
        }

        var sent = TrySend(_held.AsSpan(_heldStart, _heldEnd - _heldStart));
        if (sent < 0)
        {
            ReleaseHeldLocked();
            if (sent != Aborted)
            {
                Volatile.Write(ref _heldError, -sent);
            }

            return sent;
        }

        _heldStart += sent;
        if (_heldStart < _heldEnd)
        {
            return 0;
        }

        ReleaseHeldLocked();
        if (_shutdownAfterHeld != 0)
        {
            var how = (SocketShutdown)(_shutdownAfterHeld - 1);
            _shutdownAfterHeld = 0;
            ShutdownNow(how);
        }

        return 0;
    }

    /// <summary>A Shutdown with held bytes: sends them, and keeps the shutdown for the sweep when the kernel cannot take them all now.</summary>
    private bool DeferShutdown(SocketShutdown how)
    {
        lock (_heldLock)
        {
            if (SendHeldLocked() != 0 || _held is null)
            {
                return false;
            }

            // The receive side stops now (a waiting receive sees the end of the stream); the FIN waits.
            if (how == SocketShutdown.Both)
            {
                ShutdownNow(SocketShutdown.Receive);
            }

            _shutdownAfterHeld = (int)SocketShutdown.Send + 1;
            return true;
        }
    }

    /// <summary>Dispose after a Shutdown that waits for held bytes: true when the close waits for them too.</summary>
    private bool LingerForHeld()
    {
        lock (_heldLock)
        {
            if (_shutdownAfterHeld == 0 || _held is null || IsDisposed)
            {
                return false;
            }

            _lingerTimer ??= new Timer(static state => ((EpollSocket)state!).CloseLingering(), this, LingerTimeout, Timeout.InfiniteTimeSpan);
            _closeAfterHeld = true;
            return true;
        }
    }

    /// <summary>The lingering close: after the sweep sent the held bytes (or failed), or when the timer fired.</summary>
    private void CloseLingering()
    {
        lock (_heldLock)
        {
            if (!_closeAfterHeld)
            {
                return;
            }

            _closeAfterHeld = false;
            _lingerTimer?.Dispose();
            _lingerTimer = null;
        }

        Close();
    }

    /// <summary>Dispose: what is held is dropped (an abort), its block given back.</summary>
    private void DropHeld()
    {
        lock (_heldLock)
        {
            ReleaseHeldLocked();
            _shutdownAfterHeld = 0;
        }
    }

    private void ReleaseHeldLocked()
    {
        if (_heldOwner is not null)
        {
            _heldOwner.Dispose();
            _heldOwner = null;
            _held = null;
        }

        _heldStart = 0;
        Volatile.Write(ref _heldEnd, 0);
    }
}
