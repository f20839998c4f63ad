using System.Diagnostics.CodeAnalysis;

namespace WebFarm.Balancer.Async;

/// <summary>
/// A few idle instances of <typeparamref name="T"/> kept per thread, ahead of a pool's shared queue: taking and giving
/// back on the same thread costs no interlocked operation. The data plane runs on the epoll threads, and one report
/// batch there ends a run of requests and starts another, so a single slot per thread (the framework's pooling
/// builder) is emptied by the first of them: with 50 keep-alive connections a one-slot cache left the shared queue's
/// TryDequeue and TryEnqueue at 1.2% of the balancer's CPU (perf, docs/benchmarks.md). Each closed
/// <typeparamref name="T"/> has its own stacks; use it only for a type one pool owns.
/// </summary>
internal static class ThreadLocalPool<T>
    where T : class
{
    // Enough for the requests of a busy report batch on one thread; an item beyond it goes to the shared queue.
    private const int Capacity = 64;

    [ThreadStatic]
    private static Stack? t_stack;

    /// <summary>An idle instance this thread gave back earlier, if any.</summary>
    public static bool TryTake([NotNullWhen(true)] out T? item)
    {
        var stack = t_stack;
        if (stack is null || stack.Count == 0)
        {
            item = null;
            return false;
        }

        var index = --stack.Count;
        item = stack.Items[index]!;
        stack.Items[index] = null;
        return true;
    }

    /// <summary>Keeps <paramref name="item"/> for this thread; false when its stack is full (the caller pools it elsewhere).</summary>
    public static bool TryAdd(T item)
    {
        var stack = t_stack ??= new Stack();
        if (stack.Count == Capacity)
        {
            return false;
        }

        stack.Items[stack.Count++] = item;
        return true;
    }

    private sealed class Stack
    {
        public readonly T?[] Items = new T?[Capacity];
        public int Count;
    }
}
