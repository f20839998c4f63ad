using System.Buffers;
using System.Collections.Concurrent;
using WebFarm.Balancer.Async;

namespace WebFarm.Balancer.Transport;

/// <summary>
/// The epoll connections' pipe memory: 4 KiB blocks on the pinned object heap, reused. Kestrel's HTTP layer sizes
/// its writes by the pool's <see cref="MaxBufferSize"/> and expects small blocks (its own pool is built the same way),
/// and pinned blocks cost nothing to hand to a system call. The shared pool (<see cref="Instance"/>) keeps a few idle
/// blocks per thread (<see cref="ThreadLocalPool{T}"/>) ahead of its shared queue: a pipe takes and gives back several
/// blocks per request, all on the connection's epoll thread, and the queue's interlocked operations were 0.3% of the
/// balancer's CPU in the plain benchmark (perf, docs/benchmarks.md).
/// </summary>
internal sealed class PinnedBlockPool : MemoryPool<byte>
{
    public const int BlockSize = 4096;

    // Idle blocks kept for reuse; beyond this they are left to the garbage collector (a burst does not pin memory forever).
    private const int MaxIdleBlocks = 16 * 1024;

    private readonly ConcurrentQueue<Block> _idle = new();
    private readonly ThreadLocalPool<Block>? _local;

    // Counted here because ConcurrentQueue.Count walks the queue's segments, and Return runs for every block a pipe
    // releases (several per request).
    private int _idleCount;

    // Blocks this pool made and has not let go of (idle or rented); changes only when a block is made or dropped, so
    // counting costs the hot path nothing.
    private int _blocks;

    /// <param name="perThread">
    /// Keep idle blocks per thread ahead of the shared queue. Blocks a thread keeps are neither counted as idle nor
    /// seen by other threads (at most <see cref="ThreadLocalPool{T}.Capacity"/> per thread, 256 KiB).
    /// </param>
    public PinnedBlockPool(bool perThread = false)
    {
        _local = perThread ? new ThreadLocalPool<Block>() : null;
    }

    public static PinnedBlockPool Instance { get; } = new(perThread: true);

    public override int MaxBufferSize => BlockSize;

    /// <summary>
    /// Blocks rented and not returned yet (what the pool's users hold at this moment), plus, with per-thread blocks,
    /// the idle blocks the threads keep.
    /// </summary>
    public int BlocksInUse => Volatile.Read(ref _blocks) - Volatile.Read(ref _idleCount);

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        if (minBufferSize > BlockSize)
        {
            throw new ArgumentOutOfRangeException(nameof(minBufferSize), minBufferSize, $"blocks are {BlockSize} bytes");
        }

        // Each pool has its own per-thread stacks, so a block of another pool is never handed out here.
        if (_local is not null && _local.TryTake(out var local))
        {
            return local;
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
        if (_local is not null && _local.TryAdd(block))
        {
            return;
        }

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
