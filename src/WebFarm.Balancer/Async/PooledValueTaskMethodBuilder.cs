using System.Runtime.CompilerServices;

namespace WebFarm.Balancer.Async;

/// <summary>
/// Async method builder for the forwarder's per-request <c>ValueTask&lt;T&gt;</c> methods: the state machine box that
/// holds an awaiting method is taken from a pool and returned when its result has been read. The framework's
/// PoolingAsyncValueTaskMethodBuilder keeps one box per thread and one per core, which a proxy with dozens of
/// requests in flight on one core exhausts at once; without pooling, these boxes were most of the bytes
/// allocated per request (measured, see docs/benchmarks.md). Rules for users, as for any pooled ValueTask:
/// await the result exactly once.
/// </summary>
public struct PooledValueTaskMethodBuilder<TResult>
{
    private PooledStateMachineBox<TResult>? _box;
    private TResult? _result;
    private Exception? _exception;

    public static PooledValueTaskMethodBuilder<TResult> Create() => default;

    public readonly ValueTask<TResult> Task
    {
        get
        {
            if (_box is { } box)
            {
                return new ValueTask<TResult>(box, box.Version);
            }

            return _exception is null ? new ValueTask<TResult>(_result!) : ValueTask.FromException<TResult>(_exception);
        }
    }

    public readonly void Start<TStateMachine>(ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine
    {
        // The framework's Start (no allocation): runs the synchronous part and restores the caller's execution context.
        default(AsyncTaskMethodBuilder).Start(ref stateMachine);
    }

    public readonly void SetStateMachine(IAsyncStateMachine stateMachine)
    {
    }

    public void SetResult(TResult result)
    {
        if (_box is { } box)
        {
            box.SetResult(result);
        }
        else
        {
            _result = result;
        }
    }

    public void SetException(Exception exception)
    {
        if (_box is { } box)
        {
            box.SetException(exception);
        }
        else
        {
            _exception = exception;
        }
    }

    public void AwaitOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : INotifyCompletion
        where TStateMachine : IAsyncStateMachine
    {
        awaiter.OnCompleted(GetBox(ref stateMachine).MoveNextAction);
    }

    public void AwaitUnsafeOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : ICriticalNotifyCompletion
        where TStateMachine : IAsyncStateMachine
    {
        awaiter.UnsafeOnCompleted(GetBox(ref stateMachine).MoveNextAction);
    }

    private PooledStateMachineBox<TResult> GetBox<TStateMachine>(ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine
    {
        var context = ExecutionContext.Capture();
        if (_box is PooledStateMachineBox<TResult, TStateMachine> existing)
        {
            existing.Context = context;
            return existing;
        }

        var box = PooledStateMachineBox<TResult, TStateMachine>.Rent();

        // Set before the copy: the boxed state machine's builder must already point at its box.
        _box = box;
        box.StateMachine = stateMachine;
        box.Context = context;
        return box;
    }
}
