using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace WebFarm.Balancer.Async;

/// <summary>
/// A few idle instances of <typeparamref name="T"/> kept per thread, ahead of a pool's shared queue: taking and giving
/// back on the same thread costs no interlocked operation. The data plane runs on the epoll threads, and one report
/// batch there ends a run of requests and starts another, so a single slot per thread (the framework's pooling
/// builder) is emptied by the first of them: with 50 keep-alive connections a one-slot cache left the shared queue's
/// TryDequeue and TryEnqueue at 1.2% of the balancer's CPU (perf, docs/benchmarks.md). One instance per pool (each has
/// its own stacks, so two pools of the same type never hand out each other's items); keep it in a field of the pool.
/// </summary>
/// <remarks>
/// The stacks hang off one non-generic thread-static array (<see cref="ThreadLocalSlots"/>), indexed by this
/// instance's slot, rather than off a <c>[ThreadStatic]</c> field of this generic type: code shared across reference
/// types (<c>__Canon</c>, as the pooled state machine boxes are) reaches a generic type's thread statics only through a
/// runtime helper per access (<c>GetGCThreadStaticBase</c>, 0.7% of the balancer's CPU in the plain benchmark once the
/// block pool used it too), while a non-generic thread static is an inlined thread-local read.
/// </remarks>
internal sealed class ThreadLocalPool<T>
    where T : class
{
    /// <summary>Enough for the requests of a busy report batch on one thread; an item beyond it goes to the shared queue.</summary>
    public const int Capacity = ThreadLocalSlots.Capacity;

    private readonly int _slot = ThreadLocalSlots.Allocate();

    /// <summary>An idle instance this thread gave back earlier, if any.</summary>
    public bool TryTake([NotNullWhen(true)] out T? item)
    {
        var stacks = ThreadLocalSlots.Stacks;
        if (stacks is null || (uint)_slot >= (uint)stacks.Length || stacks[_slot] is not { Count: > 0 } stack)
        {
            item = null;
            return false;
        }

        var index = --stack.Count;
        item = Unsafe.As<T>(stack.Items[index]!);
        stack.Items[index] = null;
        return true;
    }

    /// <summary>Keeps <paramref name="item"/> for this thread; false when its stack is full (the caller pools it elsewhere).</summary>
    public bool TryAdd(T item)
    {
        var stack = ThreadLocalSlots.StackOf(_slot);
        if (stack.Count == Capacity)
        {
            return false;
        }

        stack.Items[stack.Count++] = item;
        return true;
    }
}
