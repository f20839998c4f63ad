using System.Threading.Tasks.Sources;

namespace WebFarm.Balancer.Transport;

/// <summary>
/// One direction (receive or send) of an <see cref="EpollSocket"/>: whether the kernel may have bytes for us (or room
/// for ours), and the one caller waiting until it does. Sockets are registered edge-triggered, so the kernel reports a
/// direction only when it becomes ready again; the gate remembers that report until a system call uses it. The point
/// is the system calls it saves: a direction that is <see cref="NotReady"/> is not tried at all, so a receive on an idle
/// keep-alive connection, or on a server that has not answered yet, costs no failed recv() before epoll (which .NET's
/// socket engine always pays).
/// </summary>
/// <remarks>
/// States move as follows. <see cref="TryClaim"/> takes Ready to NotReady just before a system call, so a report that
/// arrives during the call is kept, not lost. A call that did not exhaust the direction puts it back with
/// <see cref="MarkReady"/>. <see cref="WaitAsync"/> parks the caller in Waiting; <see cref="Signal"/> (the epoll thread)
/// turns NotReady or Waiting into Ready and wakes the caller inline. <see cref="Close"/> is final and wakes the caller,
/// who then finds the gate closed.
/// </remarks>
internal sealed class ReadinessGate : IValueTaskSource
{
    private const int NotReady = 0;
    private const int Ready = 1;
    private const int Waiting = 2;
    private const int Closed = 3;

    // Continuations run inline: on the epoll thread when it signals, which is what makes the transport cheap
    // (see InlineSocketCompletions for the same trade-off in .NET's engine).
    private ManualResetValueTaskSourceCore<bool> _waiter;
    private int _state;
    private volatile bool _final;

    public ReadinessGate(bool ready)
    {
        _state = ready ? Ready : NotReady;
    }

    public bool IsClosed => Volatile.Read(ref _state) == Closed;

    /// <summary>
    /// The kernel reported a condition that no later report will repeat (the peer's FIN, a hang-up, an error): from
    /// then on the direction stays ready, because a system call that looks like it emptied the socket may have left
    /// that condition behind it with no new report to come.
    /// </summary>
    public bool IsFinal => _final;

    /// <summary>Takes the readiness for one system call; false when the direction is not known to be ready (or is closed).</summary>
    public bool TryClaim() => Interlocked.CompareExchange(ref _state, NotReady, Ready) == Ready;

    /// <summary>The last system call left the direction usable (it did not exhaust it, or it failed for good).</summary>
    public void MarkReady() => Interlocked.CompareExchange(ref _state, Ready, NotReady);

    /// <summary>
    /// Completes when the direction becomes ready or the gate closes; completes at once when either already happened.
    /// One waiter at a time; the caller tries its system call again afterwards.
    /// </summary>
    public ValueTask WaitAsync()
    {
        _waiter.Reset();
        var previous = Interlocked.CompareExchange(ref _state, Waiting, NotReady);
        if (previous == NotReady)
        {
            return new ValueTask(this, _waiter.Version);
        }

        if (previous == Waiting)
        {
            throw new InvalidOperationException("another operation is already waiting on this socket direction");
        }

        return default;
    }

    /// <summary>The kernel reported the direction ready; <paramref name="final"/> when it reported the end (see <see cref="IsFinal"/>).</summary>
    public void Signal(bool final = false)
    {
        if (final)
        {
            _final = true;
        }

        while (true)
        {
            var state = Volatile.Read(ref _state);
            if (state is Ready or Closed)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _state, Ready, state) == state)
            {
                if (state == Waiting)
                {
                    _waiter.SetResult(true);
                }

                return;
            }
        }
    }

    /// <summary>Closes the direction for good; a waiting caller wakes up and finds it closed.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _state, Closed) == Waiting)
        {
            _waiter.SetResult(true);
        }
    }

    void IValueTaskSource.GetResult(short token) => _waiter.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _waiter.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _waiter.OnCompleted(continuation, state, token, flags);
}
