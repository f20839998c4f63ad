namespace WebFarm.Balancer.Farms;

/// <summary>
/// A server's MaxConcurrentRequests with a bounded FIFO queue. Entering is lock-free-cheap in the common
/// case (room available) and falls back to a queue of waiters; a release hands the slot straight to the
/// oldest waiter so that queued requests are served in arrival order and cannot be overtaken.
/// </summary>
internal sealed class ServerConcurrencyGate
{
    private readonly LinkedList<TaskCompletionSource<bool>> _waiters = new();
    private readonly object _lock = new();
    private int _limit;
    private int _active;

    public ServerConcurrencyGate(int limit) => _limit = limit;

    public int Limit
    {
        get => Volatile.Read(ref _limit);
        set
        {
            lock (_lock)
            {
                _limit = value;
                GrantWhileRoom();
            }
        }
    }

    public int Active => Volatile.Read(ref _active);

    public int Queued
    {
        get
        {
            lock (_lock)
            {
                return _waiters.Count;
            }
        }
    }

    public ValueTask<GateResult> EnterAsync(int queueLength, TimeSpan queueTimeout, CancellationToken cancellationToken)
    {
        TaskCompletionSource<bool> waiter;
        LinkedListNode<TaskCompletionSource<bool>> node;
        lock (_lock)
        {
            if (_active < _limit && _waiters.Count == 0)
            {
                _active++;
                return new ValueTask<GateResult>(GateResult.Entered);
            }

            if (_waiters.Count >= queueLength)
            {
                return new ValueTask<GateResult>(GateResult.QueueFull);
            }

            waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            node = _waiters.AddLast(waiter);
        }

        return WaitAsync(waiter, node, queueTimeout, cancellationToken);
    }

    private async ValueTask<GateResult> WaitAsync(TaskCompletionSource<bool> waiter, LinkedListNode<TaskCompletionSource<bool>> node, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await waiter.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return GateResult.Entered;
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            lock (_lock)
            {
                // TrySetResult(false) claims the waiter; if it fails, a release granted us the slot in the
                // meantime and we own it, so report Entered (the caller releases it as usual).
                if (!waiter.TrySetResult(false))
                {
                    return GateResult.Entered;
                }

                if (node.List is not null)
                {
                    _waiters.Remove(node);
                }
            }

            return ex is TimeoutException ? GateResult.TimedOut : GateResult.Canceled;
        }
    }

    public void Release()
    {
        lock (_lock)
        {
            _active--;
            GrantWhileRoom();
        }
    }

    private void GrantWhileRoom()
    {
        while (_active < _limit && _waiters.First is { } first)
        {
            _waiters.RemoveFirst();
            if (first.Value.TrySetResult(true))
            {
                _active++;
            }
        }
    }
}
