using System.Collections.Concurrent;

namespace WebFarm.Balancer.Forwarding;

/// <summary>
/// Cancels one attempt's upstream exchange when the client goes away or when nothing happened for the
/// current timeout: first the response-headers timeout, then the idle timeout, each restarted by activity
/// (a body chunk moving either way). One object per attempt instead of a timer per read; instances are
/// pooled (reset with TryReset) because a CancellationTokenSource with a timer is a noticeable per-request cost.
/// </summary>
internal sealed class ExchangeCancellation : CancellationTokenSource
{
    private const int MaxPooled = 1024;
    private static readonly ConcurrentQueue<ExchangeCancellation> Pool = new();
    private static int _pooled;

    private CancellationToken _clientAborted;
    private CancellationTokenRegistration _registration;
    private TimeSpan _timeout;
    private int _generation;
    private int _disposed;

    private ExchangeCancellation()
    {
    }

    public static ExchangeCancellation Rent(CancellationToken clientAborted, TimeSpan timeout)
    {
        if (Pool.TryDequeue(out var exchange))
        {
            Interlocked.Decrement(ref _pooled);
        }
        else
        {
            exchange = new ExchangeCancellation();
        }

        exchange._clientAborted = clientAborted;
        exchange._timeout = timeout;
        exchange._registration = clientAborted.UnsafeRegister(static s => ((ExchangeCancellation)s!).TryCancel(), exchange);
        exchange.CancelAfter(timeout);
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
        if (TryReset() && Interlocked.Increment(ref _pooled) <= MaxPooled)
        {
            Pool.Enqueue(this);
            return;
        }

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
        if (Volatile.Read(ref _disposed) == 0 && !IsCancellationRequested)
        {
            try
            {
                CancelAfter(_timeout);
            }
            catch (ObjectDisposedException)
            {
                // The attempt ended concurrently; nothing to time out any more.
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

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _registration.Dispose();
        }

        base.Dispose(disposing);
    }
}
