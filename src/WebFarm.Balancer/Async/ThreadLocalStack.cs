namespace WebFarm.Balancer.Async;

/// <summary>One thread's idle items of one <see cref="ThreadLocalPool{T}"/> (touched only by that thread).</summary>
internal sealed class ThreadLocalStack(int capacity)
{
    public readonly object?[] Items = new object?[capacity];
    public int Count;
}
