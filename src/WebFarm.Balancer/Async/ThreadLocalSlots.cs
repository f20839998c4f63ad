namespace WebFarm.Balancer.Async;

/// <summary>
/// The per-thread stacks of every <see cref="ThreadLocalPool{T}"/>: one non-generic thread-static array, one slot per
/// pool (see the remarks on <see cref="ThreadLocalPool{T}"/> for why not a thread static of the generic type).
/// </summary>
internal static class ThreadLocalSlots
{
    public const int Capacity = 64;

    private static int _slots;

    [ThreadStatic]
    private static ThreadLocalStack?[]? t_stacks;

    /// <summary>This thread's stacks, indexed by slot (null before the thread kept anything).</summary>
    public static ThreadLocalStack?[]? Stacks => t_stacks;

    /// <summary>A slot for a new pool. Slots are never reused: pools are few and live as long as the process.</summary>
    public static int Allocate() => Interlocked.Increment(ref _slots) - 1;

    /// <summary>This thread's stack for <paramref name="slot"/>, made on first use.</summary>
    public static ThreadLocalStack StackOf(int slot)
    {
        var stacks = t_stacks;
        if (stacks is not null && (uint)slot < (uint)stacks.Length && stacks[slot] is { } stack)
        {
            return stack;
        }

        return Grow(slot);
    }

    private static ThreadLocalStack Grow(int slot)
    {
        var stacks = t_stacks ?? [];
        if (slot >= stacks.Length)
        {
            Array.Resize(ref stacks, Math.Max(slot + 1, Volatile.Read(ref _slots)));
            t_stacks = stacks;
        }

        return stacks[slot] ??= new ThreadLocalStack(Capacity);
    }
}
