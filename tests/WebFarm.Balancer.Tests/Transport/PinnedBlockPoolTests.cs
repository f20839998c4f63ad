using System.Buffers;
using System.Runtime.InteropServices;
using WebFarm.Balancer.Transport;

namespace WebFarm.Balancer.Tests.Transport;

/// <summary>
/// <see cref="PinnedBlockPool"/>'s per-thread blocks: a thread takes back what it gave back last, keeps a bounded
/// number (the rest go to the shared queue, where any thread takes them), and never hands out another pool's block.
/// Each test runs its threads itself (fresh threads, so their per-thread stacks start empty) and uses pools of its own.
/// </summary>
public sealed class PinnedBlockPoolTests
{
    // ThreadLocalPool's bound per thread.
    private const int PerThread = 64;

    [Fact]
    public void Blocks_given_back_past_the_per_thread_bound_are_rented_on_another_thread_and_the_thread_keeps_the_rest()
    {
        const int Extra = 36;
        var pool = new PinnedBlockPool(perThread: true);
        var given = new List<byte[]>();
        var keptByA = new List<byte[]>();
        var rentedByB = new List<byte[]>();
        var newOnB = Array.Empty<byte>();

        OnNewThread(() =>
        {
            var blocks = new List<IMemoryOwner<byte>>();
            for (var i = 0; i < PerThread + Extra; i++)
            {
                blocks.Add(pool.Rent());
            }

            foreach (var block in blocks)
            {
                given.Add(ArrayOf(block));
                block.Dispose();
            }

            // Counted as in use: the 64 this thread keeps (the bound), not the 36 in the shared queue.
            Assert.Equal(PerThread, pool.BlocksInUse);
        });

        // Thread A kept the first 64 it gave back; the last 36 went to the shared queue, and thread B rents those.
        OnNewThread(() =>
        {
            for (var i = 0; i < Extra; i++)
            {
                rentedByB.Add(ArrayOf(pool.Rent()));
            }

            newOnB = ArrayOf(pool.Rent());
        });

        Assert.True(given.Skip(PerThread).ToHashSet().SetEquals(rentedByB), "thread B did not rent the blocks thread A could not keep");
        Assert.DoesNotContain(given, block => ReferenceEquals(block, newOnB));
    }

    [Fact]
    public void A_thread_rents_again_what_it_gave_back_last_first_and_another_thread_does_not()
    {
        var pool = new PinnedBlockPool(perThread: true);
        byte[] first = [], second = [], again = [], then = [], other = [];
        OnNewThread(() =>
        {
            var a = pool.Rent();
            var b = pool.Rent();
            first = ArrayOf(a);
            second = ArrayOf(b);
            a.Dispose();
            b.Dispose();

            // Another thread finds nothing in the shared queue: both blocks stay with this thread.
            OnNewThread(() => other = ArrayOf(pool.Rent()));

            again = ArrayOf(pool.Rent());
            then = ArrayOf(pool.Rent());
        });

        Assert.Same(second, again);
        Assert.Same(first, then);
        Assert.NotSame(first, other);
        Assert.NotSame(second, other);
    }

    [Fact]
    public void A_thread_never_hands_out_a_block_another_pool_gave_back_on_it()
    {
        var owner = new PinnedBlockPool(perThread: true);
        var renter = new PinnedBlockPool(perThread: true);
        byte[] given = [], rentedByOther = [];
        OnNewThread(() =>
        {
            var block = owner.Rent();
            given = ArrayOf(block);
            block.Dispose();
            rentedByOther = ArrayOf(renter.Rent());
        });

        Assert.NotSame(given, rentedByOther);
        Assert.Equal(1, renter.BlocksInUse);
        Assert.Equal(1, owner.BlocksInUse);
    }

    private static void OnNewThread(Action action)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            throw new InvalidOperationException("the thread failed", failure);
        }
    }

    private static byte[] ArrayOf(IMemoryOwner<byte> block)
    {
        Assert.True(MemoryMarshal.TryGetArray<byte>(block.Memory, out var segment));
        return segment.Array!;
    }
}
