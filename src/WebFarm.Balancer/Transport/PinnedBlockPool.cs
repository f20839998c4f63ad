using System.Buffers;
using System.Collections.Concurrent;

namespace WebFarm.Balancer.Transport;

/// <summary>
/// The epoll connections' pipe memory: 4 KiB blocks on the pinned object heap, reused. Kestrel's HTTP layer sizes
/// its writes by the pool's <see cref="MaxBufferSize"/> and expects small blocks (its own pool is built the same way),
/// and pinned blocks cost nothing to hand to a system call.
/// </summary>
internal sealed class PinnedBlockPool : MemoryPool<byte>
{
    public const int BlockSize = 4096;

    // Idle blocks kept for reuse; beyond this they are left to the garbage collector (a burst does not pin memory forever).
    private const int MaxIdleBlocks = 16 * 1024;

    private readonly ConcurrentQueue<Block> _idle = new();

    // Counted here because ConcurrentQueue.Count walks the queue's segments, and Return runs for every block a pipe
    // releases (several per request).
    private int _idleCount;

    // Blocks this pool made and has not let go of (idle or rented); changes only when a block is made or dropped, so
    // counting costs the hot path nothing.
    private int _blocks;

    public static PinnedBlockPool Instance { get; } = new();

    public override int MaxBufferSize => BlockSize;

    /// <summary>Blocks rented and not returned yet (what the pool's users hold at this moment).</summary>
    public int BlocksInUse => Volatile.Read(ref _blocks) - Volatile.Read(ref _idleCount);

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        if (minBufferSize > BlockSize)
        {
            throw new ArgumentOutOfRangeException(nameof(minBufferSize), minBufferSize, $"blocks are {BlockSize} bytes");
        }

        if (_idle.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref _idleCount);
            return block;
        }

        Interlocked.Increment(ref _blocks);
        return new Block(this);
    }

    protected override void Dispose(bool disposing)
    {
        // Shared for the process: nothing to release.
    }

    private void Return(Block block)
    {
        if (Interlocked.Increment(ref _idleCount) <= MaxIdleBlocks)
        {
            _idle.Enqueue(block);
        }
        else
        {
            Interlocked.Decrement(ref _idleCount);
            Interlocked.Decrement(ref _blocks);
        }
    }

    private sealed class Block(PinnedBlockPool pool) : IMemoryOwner<byte>
    {
        public Memory<byte> Memory { get; } = GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true);

        public void Dispose() => pool.Return(this);
    }
}
