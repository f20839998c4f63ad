using WebFarm.Balancer.Async;

namespace WebFarm.Balancer.Tests.Async;

/// <summary>
/// <see cref="ThreadLocalPool{T}"/>: what a thread gives back it takes again, last in first out, up to a bound beyond
/// which the caller must pool elsewhere, and never what another thread gave back (each test uses its own item type, so
/// the per-type stacks of other tests cannot interfere).
/// </summary>
public sealed class ThreadLocalPoolTests
{
    [Fact]
    public void A_thread_takes_back_what_it_gave_last_first_and_then_nothing()
    {
        var first = new ItemA();
        var second = new ItemA();
        Assert.True(ThreadLocalPool<ItemA>.TryAdd(first));
        Assert.True(ThreadLocalPool<ItemA>.TryAdd(second));

        Assert.True(ThreadLocalPool<ItemA>.TryTake(out var taken));
        Assert.Same(second, taken);
        Assert.True(ThreadLocalPool<ItemA>.TryTake(out taken));
        Assert.Same(first, taken);
        Assert.False(ThreadLocalPool<ItemA>.TryTake(out taken));
        Assert.Null(taken);
    }

    [Fact]
    public void A_full_stack_refuses_more_so_the_caller_pools_them_elsewhere()
    {
        var added = 0;
        while (ThreadLocalPool<ItemB>.TryAdd(new ItemB()))
        {
            added++;
            Assert.True(added <= 1000, "the per-thread stack never filled");
        }

        Assert.Equal(64, added);
        while (ThreadLocalPool<ItemB>.TryTake(out _))
        {
        }
    }

    [Fact]
    public void An_item_given_back_on_one_thread_is_not_taken_on_another()
    {
        var item = new ItemC();
        var other = new Thread(() => ThreadLocalPool<ItemC>.TryAdd(item));
        other.Start();
        other.Join();

        Assert.False(ThreadLocalPool<ItemC>.TryTake(out _));
    }

    private sealed class ItemA;

    private sealed class ItemB;

    private sealed class ItemC;
}
