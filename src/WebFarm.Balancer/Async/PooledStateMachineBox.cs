using System.Threading.Tasks.Sources;

namespace WebFarm.Balancer.Async;

/// <summary>The awaitable half of a pooled async method: its result, its continuation, and its way back to the pool.</summary>
public abstract class PooledStateMachineBox<TResult> : IValueTaskSource<TResult>
{
    // Continuations run inline (RunContinuationsAsynchronously = false), as the framework's builders do.
    private ManualResetValueTaskSourceCore<TResult> _core;

    protected PooledStateMachineBox()
    {
        MoveNextAction = MoveNext;
    }

    /// <summary>The continuation handed to awaiters: one delegate per box, made once.</summary>
    public Action MoveNextAction { get; }

    public ExecutionContext? Context { get; set; }

    public short Version => _core.Version;

    public void SetResult(TResult result) => _core.SetResult(result);

    public void SetException(Exception exception) => _core.SetException(exception);

    public TResult GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            // The result has been read: the box is free for the next call (the ValueTask must not be awaited again).
            _core.Reset();
            Return();
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    protected abstract void MoveNext();

    protected abstract void Return();
}

/// <summary>The pooled box for one async method (state machine type).</summary>
public sealed class PooledStateMachineBox<TResult, TStateMachine> : PooledStateMachineBox<TResult>
    where TStateMachine : System.Runtime.CompilerServices.IAsyncStateMachine
{
    // Enough for the requests one balancer has in flight in a busy moment; beyond it, boxes are left to the GC.
    private const int MaxPooled = 4096;
    private static readonly System.Collections.Concurrent.ConcurrentQueue<PooledStateMachineBox<TResult, TStateMachine>> Pool = new();
    private static readonly ThreadLocalPool<PooledStateMachineBox<TResult, TStateMachine>> Local = new();
    private static readonly ContextCallback RunMoveNext = static state => ((PooledStateMachineBox<TResult, TStateMachine>)state!).StateMachine!.MoveNext();
    private static int _pooled;

    /// <summary>The method's state (locals, awaiters, builder), copied in at its first real await.</summary>
    public TStateMachine? StateMachine;

    public static PooledStateMachineBox<TResult, TStateMachine> Rent()
    {
        // Boxes given back on this thread first (ThreadLocalPool: no interlocked operation), then the shared queue.
        if (Local.TryTake(out var cached))
        {
            return cached;
        }

        if (Pool.TryDequeue(out var box))
        {
            Interlocked.Decrement(ref _pooled);
            return box;
        }

        return new PooledStateMachineBox<TResult, TStateMachine>();
    }

    protected override void MoveNext()
    {
        var context = Context;
        if (context is null)
        {
            StateMachine!.MoveNext();
        }
        else
        {
            ExecutionContext.Run(context, RunMoveNext, this);
        }
    }

    protected override void Return()
    {
        StateMachine = default;
        Context = null;
        if (Local.TryAdd(this))
        {
            return;
        }

        if (Interlocked.Increment(ref _pooled) <= MaxPooled)
        {
            Pool.Enqueue(this);
        }
        else
        {
            Interlocked.Decrement(ref _pooled);
        }
    }
}
