using WebFarm.Balancer.Async;

namespace WebFarm.Balancer.Tests.Async;

/// <summary>
/// <see cref="ThreadLocalPool{T}"/>: what a thread gives back it takes again, last in first out, up to a bound beyond
/// which the caller must pool elsewhere, never what another thread gave back, and never what another pool of the same
/// type was given (each test uses pools of its own).
/// </summary>
public sealed class ThreadLocalPoolTests
{
    [Fact]
    public void A_thread_takes_back_what_it_gave_last_first_and_then_nothing()
    {
        var pool = new ThreadLocalPool<Item>();
        var first = new Item();
        var second = new Item();
        Assert.True(pool.TryAdd(first));
        Assert.True(pool.TryAdd(second));

        Assert.True(pool.TryTake(out var taken));
        Assert.Same(second, taken);
        Assert.True(pool.TryTake(out taken));
        Assert.Same(first, taken);
        Assert.False(pool.TryTake(out taken));
        Assert.Null(taken);
    }

    [Fact]
    public void A_full_stack_refuses_more_so_the_caller_pools_them_elsewhere()
    {
        var pool = new ThreadLocalPool<Item>();
        var added = 0;
        while (pool.TryAdd(new Item()))
        {
            added++;
            Assert.True(added <= 1000, "the per-thread stack never filled");
        }

        Assert.Equal(ThreadLocalPool<Item>.Capacity, added);
        Assert.Equal(64, added);
    }

    [Fact]
    public void An_item_given_back_on_one_thread_is_not_taken_on_another()
    {
        var pool = new ThreadLocalPool<Item>();
        var item = new Item();
        var other = new Thread(() => pool.TryAdd(item));
        other.Start();
        other.Join();

        Assert.False(pool.TryTake(out _));
    }

    [Fact]
    public void Two_pools_of_one_type_keep_separate_stacks_on_a_thread()
    {
        var first = new ThreadLocalPool<Item>();
        var second = new ThreadLocalPool<Item>();
        var item = new Item();
        Assert.True(first.TryAdd(item));

        Assert.False(second.TryTake(out _));
        Assert.True(first.TryTake(out var taken));
        Assert.Same(item, taken);
    }

    private sealed class Item;
}
