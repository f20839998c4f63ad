namespace WebFarm.Balancer.Forwarding;

/// <summary>
/// Cancels one attempt's upstream exchange when the client goes away or when nothing happened for the
/// current timeout: first the response-headers timeout, then the idle timeout, each restarted by activity
/// (a body chunk moving either way). One object per attempt instead of a timer per read.
/// </summary>
internal sealed class ExchangeCancellation : CancellationTokenSource
{
    private readonly CancellationToken _clientAborted;
    private readonly CancellationTokenRegistration _registration;
    private TimeSpan _timeout;
    private int _disposed;

    public ExchangeCancellation(CancellationToken clientAborted, TimeSpan timeout)
    {
        _clientAborted = clientAborted;
        _timeout = timeout;
        _registration = clientAborted.UnsafeRegister(static s => ((ExchangeCancellation)s!).TryCancel(), this);
        CancelAfter(timeout);
    }

    public bool ClientAborted => _clientAborted.IsCancellationRequested;

    /// <summary>True when our timer (not the client) cancelled the exchange.</summary>
    public bool TimedOut => IsCancellationRequested && !_clientAborted.IsCancellationRequested;

    public TimeSpan Timeout => _timeout;

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
