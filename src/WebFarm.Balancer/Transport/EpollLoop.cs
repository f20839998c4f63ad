using System.ComponentModel;
using System.Runtime.InteropServices;

namespace WebFarm.Balancer.Transport;

/// <summary>
/// One epoll instance and the thread that waits on it. Every socket of the transport is registered with one loop,
/// edge-triggered, for both directions at once, so it is registered exactly once in its life. The thread runs what
/// each report wakes up inline: a request's parsing and forwarding happen on the loop thread that received it. Loops
/// live as long as the process (like .NET's own socket engine), one per core.
/// </summary>
internal sealed unsafe class EpollLoop
{
    private const int MaxEventsPerWait = 256;

    private static readonly Lazy<EpollLoop[]> LazyLoops = new(StartLoops);
    private static int s_next;

    [ThreadStatic]
    private static EpollLoop? t_current;

    private readonly int _epoll;
    private readonly Lock _tableLock = new();

    // Sockets by file descriptor, written under _tableLock and read without it. A report for a descriptor that was
    // closed meanwhile finds null (ignored) or the socket that reuses the number; either is harmless, because a
    // report only ever means "try again".
    private EpollSocket?[] _sockets = new EpollSocket?[1024];

    // Sockets that hold sends for the end of this pass (EpollSocket.Held.cs); touched only by the loop thread. It grows
    // to the most sockets one pass ever listed and stays that size (no allocation per pass).
    private EpollSocket?[] _holding = new EpollSocket?[64];
    private int _holdingCount;

    private EpollLoop(int index)
    {
        _epoll = Libc.EpollCreate(Libc.EPOLL_CLOEXEC);
        if (_epoll < 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "epoll_create1 failed");
        }

        var thread = new Thread(Run)
        {
            IsBackground = true,
            Name = $"WebFarm epoll {index}",
        };
        thread.UnsafeStart();
    }

    /// <summary>True on platforms where the transport works: Linux, 64-bit.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    /// <summary>
    /// The loop for a new socket: the current thread's loop when called on one (a server connection opened while
    /// serving a request stays on that request's thread), otherwise the next loop in turn.
    /// </summary>
    public static EpollLoop Pick()
    {
        if (t_current is { } current)
        {
            return current;
        }

        var loops = LazyLoops.Value;
        var index = (int)((uint)Interlocked.Increment(ref s_next) % (uint)loops.Length);
        return loops[index];
    }

    /// <summary>True on this loop's own thread, the only one that holds sends for the end of the pass.</summary>
    public bool IsCurrent => t_current == this;

    /// <summary>Lists <paramref name="socket"/> for this pass's sweep (loop thread only; a socket lists itself once per pass).</summary>
    public void HoldUntilEndOfPass(EpollSocket socket)
    {
        if (_holdingCount == _holding.Length)
        {
            Array.Resize(ref _holding, _holding.Length * 2);
        }

        _holding[_holdingCount++] = socket;
    }

    /// <summary>Adds a socket, edge-triggered for both directions.</summary>
    public void Register(EpollSocket socket, int fd)
    {
        lock (_tableLock)
        {
            if (fd >= _sockets.Length)
            {
                var larger = new EpollSocket?[Math.Max(_sockets.Length * 2, fd + 1)];
                Array.Copy(_sockets, larger, _sockets.Length);
                Volatile.Write(ref _sockets, larger);
            }

            Volatile.Write(ref _sockets[fd], socket);
        }

        var epollEvent = stackalloc byte[16];
        *(uint*)epollEvent = Libc.EPOLLIN | Libc.EPOLLOUT | Libc.EPOLLRDHUP | Libc.EPOLLET;
        *(ulong*)(epollEvent + Libc.EpollEventDataOffset) = (ulong)fd;
        if (Libc.EpollCtl(_epoll, Libc.EPOLL_CTL_ADD, fd, epollEvent) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            Unregister(socket, fd);
            throw new System.Net.Sockets.SocketException((int)Errno.ToSocketError(errno));
        }
    }

    /// <summary>Forgets a socket before its descriptor is closed (closing removes it from the epoll set).</summary>
    public void Unregister(EpollSocket socket, int fd)
    {
        lock (_tableLock)
        {
            if (fd < _sockets.Length && ReferenceEquals(_sockets[fd], socket))
            {
                Volatile.Write(ref _sockets[fd], null);
            }
        }
    }

    private static EpollLoop[] StartLoops()
    {
        var loops = new EpollLoop[Math.Clamp(Environment.ProcessorCount, 1, 64)];
        for (var i = 0; i < loops.Length; i++)
        {
            loops[i] = new EpollLoop(i);
        }

        return loops;
    }

    private static void ReportFailure(EpollSocket socket, Exception exception)
    {
        try
        {
            socket.ReportLoopFailure(exception);
        }
        catch (Exception)
        {
            // A logger that throws must not end the loop either.
        }
    }

    private void Run()
    {
        t_current = this;
        var size = Libc.EpollEventSize;
        var dataOffset = Libc.EpollEventDataOffset;
        var events = (byte*)NativeMemory.Alloc((nuint)(MaxEventsPerWait * size));
        while (true)
        {
            var count = Libc.EpollWait(_epoll, events, MaxEventsPerWait, -1);
            if (count < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EINTR)
                {
                    continue;
                }

                // epoll_wait fails otherwise only with EBADF, EFAULT or EINVAL: this loop's own descriptor or buffer is
                // broken, which nothing outside the loop can cause or repair. Every socket of the loop would wait
                // forever, so the process stops with the reason rather than serve half its connections.
                Environment.FailFast($"WebFarm epoll loop: epoll_wait failed: {new Win32Exception(errno).Message} (errno {errno})");
            }

            for (var i = 0; i < count; i++)
            {
                var entry = events + (i * size);
                var fd = (int)*(ulong*)(entry + dataOffset);

                // Read the table per report: a callback run by the previous report may have grown it.
                var sockets = Volatile.Read(ref _sockets);
                if ((uint)fd >= (uint)sockets.Length)
                {
                    continue;
                }

                var socket = Volatile.Read(ref sockets[fd]);
                if (socket is null)
                {
                    continue;
                }

                try
                {
                    socket.OnEvents(*(uint*)entry);
                }
                catch (Exception ex)
                {
                    // Never expected (the data plane catches its own errors), so reported, and the loop goes on: an
                    // exception escaping this thread would end the process.
                    ReportFailure(socket, ex);
                }
            }

            // Every piece of code this thread runs is started by a report above (it has no queue of its own), so the
            // sweep here, before the next wait, is what every held send waits for.
            SendHeld();
        }
    }

    /// <summary>
    /// The sweep: each listed socket sends what it holds, in the order they were listed. A failure wakes the socket's
    /// waiting operations inline, and what they run may hold and list more: the sweep goes on until the list is empty.
    /// </summary>
    private void SendHeld()
    {
        for (var i = 0; i < _holdingCount; i++)
        {
            var socket = _holding[i]!;
            _holding[i] = null;
            try
            {
                socket.SendHeld();
            }
            catch (Exception ex)
            {
                ReportFailure(socket, ex);
            }
        }

        _holdingCount = 0;
    }
}
