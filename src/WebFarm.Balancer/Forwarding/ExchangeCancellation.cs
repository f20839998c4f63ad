using System.Collections.Concurrent;
using WebFarm.Balancer.Async;

namespace WebFarm.Balancer.Forwarding;

/// <summary>
/// Cancels one attempt's upstream exchange when the client goes away or when nothing happened for the
/// current timeout: first the response-headers timeout, then the idle timeout, each restarted by activity
/// (a body chunk moving either way). One object per attempt instead of a timer per read; instances are
/// pooled (reset with TryReset) because a CancellationTokenSource with a timer is a noticeable per-request cost.
/// </summary>
/// <remarks>
/// The timeout is a deadline that activity moves forward, checked by a timer that is re-armed only when it fires
/// early (activity moved the deadline meanwhile) or when the deadline moves before it: a request answered within its
/// timeouts, the usual case, costs no timer change at all, because the instance's timer is still set from an earlier
/// attempt to a moment before the new deadline. <c>CancelAfter</c> on every start, head and body chunk, and the
/// disarming in <c>TryReset</c>, each took the timer queue's lock: 0.8% of the front end's CPU per proxied request
/// (perf, bench/balancer/run.sh PROFILE=1, docs/benchmarks.md). The timer may fire a little after the deadline (it
/// is a timer queue's, as <c>CancelAfter</c>'s), never before it.
/// </remarks>
internal sealed class ExchangeCancellation : CancellationTokenSource
{
    private const int MaxPooled = 1024;
    private const long NotSet = long.MaxValue;
    private static readonly ConcurrentQueue<ExchangeCancellation> Pool = new();
    private static readonly ThreadLocalPool<ExchangeCancellation> Local = new();
    private static readonly TimerCallback OnTimerCallback = static state => ((ExchangeCancellation)state!).OnTimer();
    private static int _pooled;

    // Guards _inUse and _firesAt, and the decision to cancel: the timer thread never cancels an instance that went
    // back to the pool meanwhile. Reentrant, as a cancellation callback may end the attempt on the same thread.
    private readonly Lock _timerLock = new();
    private readonly Timer _timer;
    private CancellationToken _clientAborted;
    private CancellationTokenRegistration _registration;
    private TimeSpan _timeout;
    private long _deadline;
    private long _firesAt = NotSet;
    private bool _inUse;
    private int _generation;
    private int _disposed;

    private ExchangeCancellation()
    {
        // The timer lives as long as the instance; it must not keep the execution context of the request that made it.
        using (ExecutionContext.SuppressFlow())
        {
            _timer = new Timer(OnTimerCallback, this, System.Threading.Timeout.Infinite, System.Threading.Timeout.Infinite);
        }
    }

    public static ExchangeCancellation Rent(CancellationToken clientAborted, TimeSpan timeout)
    {
        // Instances given back on this thread first (ThreadLocalPool: no interlocked operation), then the shared queue.
        if (!Local.TryTake(out var exchange))
        {
            if (Pool.TryDequeue(out exchange))
            {
                Interlocked.Decrement(ref _pooled);
            }
            else
            {
                exchange = new ExchangeCancellation();
            }
        }

        exchange._clientAborted = clientAborted;
        exchange._timeout = timeout;
        exchange._registration = clientAborted.UnsafeRegister(static s => ((ExchangeCancellation)s!).TryCancel(), exchange);
        lock (exchange._timerLock)
        {
            exchange._inUse = true;
            exchange.MoveDeadlineLocked(Environment.TickCount64 + Milliseconds(timeout));
        }

        return exchange;
    }

    /// <summary>Ends the attempt: back to the pool when it was never cancelled, otherwise disposed.</summary>
    public void Return()
    {
        // Dispose waits for a running client-abort callback, so no callback can touch the reset instance.
        _registration.Dispose();
        _registration = default;
        _clientAborted = default;
        Interlocked.Increment(ref _generation);

        // After this the timer only re-arms itself or stops (see OnTimer); it stays set, so the next attempt on this
        // instance usually needs no timer change.
        lock (_timerLock)
        {
            _inUse = false;
        }

        if (!TryReset())
        {
            Dispose();
            return;
        }

        if (Local.TryAdd(this))
        {
            return;
        }

        if (Interlocked.Increment(ref _pooled) <= MaxPooled)
        {
            Pool.Enqueue(this);
            return;
        }

        Interlocked.Decrement(ref _pooled);
        Dispose();
    }

    public bool ClientAborted => _clientAborted.IsCancellationRequested;

    /// <summary>True when our timer (not the client) cancelled the exchange.</summary>
    public bool TimedOut => IsCancellationRequested && !_clientAborted.IsCancellationRequested;

    public TimeSpan Timeout => _timeout;

    /// <summary>Changes each time the instance goes back to the pool; late callers compare it (see <see cref="ResetTimeout(int)"/>).</summary>
    public int Generation => Volatile.Read(ref _generation);

    public void SetTimeout(TimeSpan timeout)
    {
        _timeout = timeout;
        ResetTimeout();
    }

    /// <summary>Called on activity: restarts the current timeout.</summary>
    public void ResetTimeout()
    {
        if (Volatile.Read(ref _disposed) != 0 || IsCancellationRequested)
        {
            return;
        }

        var deadline = Environment.TickCount64 + Milliseconds(_timeout);
        Volatile.Write(ref _deadline, deadline);

        // Later than the timer is set for (the usual case): the timer re-arms itself when it fires. Earlier (a shorter
        // timeout than the one before): the timer must be brought forward.
        if (deadline < Volatile.Read(ref _firesAt))
        {
            lock (_timerLock)
            {
                if (_inUse)
                {
                    MoveDeadlineLocked(deadline);
                }
            }
        }
    }

    /// <summary>
    /// Activity from a party that may outlive the attempt (a request body still being pushed by the handler
    /// after the response ended): ignored once the instance serves another attempt.
    /// </summary>
    public void ResetTimeout(int generation)
    {
        if (generation == Volatile.Read(ref _generation))
        {
            ResetTimeout();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _registration.Dispose();
            lock (_timerLock)
            {
                _inUse = false;
            }

            _timer.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Whole milliseconds, at least one, as the timer counts them (an infinite timeout never fires).</summary>
    private static long Milliseconds(TimeSpan timeout)
        => timeout == System.Threading.Timeout.InfiniteTimeSpan ? NotSet / 2 : Math.Max(1, (long)Math.Ceiling(timeout.TotalMilliseconds));

    /// <summary>Sets the deadline, and the timer when it is not set or set for later.</summary>
    private void MoveDeadlineLocked(long deadline)
    {
        Volatile.Write(ref _deadline, deadline);
        if (deadline < _firesAt)
        {
            ArmLocked(deadline, Environment.TickCount64);
        }
    }

    private void ArmLocked(long at, long now)
    {
        // Far deadlines (an infinite timeout) are not set at all: the timer takes at most about 49 days.
        var due = at - now;
        if (due >= uint.MaxValue - 1)
        {
            return;
        }

        _firesAt = at;
        try
        {
            _timer.Change(Math.Max(0, due), System.Threading.Timeout.Infinite);
        }
        catch (ObjectDisposedException)
        {
            // Disposed concurrently: nothing to time out any more.
        }
    }

    /// <summary>The timer thread: cancel when the deadline has passed, otherwise wait for the deadline activity moved.</summary>
    private void OnTimer()
    {
        lock (_timerLock)
        {
            _firesAt = NotSet;
            if (!_inUse || Volatile.Read(ref _disposed) != 0)
            {
                return; // Between attempts: the next Rent sets the timer again.
            }

            var now = Environment.TickCount64;
            var deadline = Volatile.Read(ref _deadline);
            if (now < deadline)
            {
                ArmLocked(deadline, now);
                return;
            }

            // Cancelled under the lock, so Return cannot put this instance in the pool in the middle of it.
            TryCancel();
        }
    }

    private void TryCancel()
    {
        try
        {
            Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
