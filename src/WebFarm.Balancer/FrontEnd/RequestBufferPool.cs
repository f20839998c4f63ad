using System.Collections.Concurrent;

namespace WebFarm.Balancer.FrontEnd;

/// <summary>
/// The front end's <see cref="RequestBuffers"/>, rented by a connection for the time of one request. Idle keep-alive
/// connections are most of a busy farm's connections; with the buffers kept per connection, 10,000 idle connections
/// held about 33 MB of them (docs/benchmarks.md, "Balancer memory"). Kestrel's Http1Connection avoids the same cost by
/// reading from a pipe that holds no block while the connection is idle.
/// </summary>
internal sealed class RequestBufferPool
{
    /// <summary>
    /// Sets kept for reuse, about 3.3 KB each: enough for as many requests in progress at once as a busy balancer serves
    /// (beyond that, sets are allocated and left to the GC), few enough that a burst leaves at most ~1 MB behind.
    /// </summary>
    public const int MaxRetained = 256;

    private readonly ConcurrentQueue<RequestBuffers> _free = new();
    private int _retained;
    private long _rented;

    /// <summary>Sets rented and not yet returned: the requests in progress on the front end.</summary>
    public long Rented => Interlocked.Read(ref _rented);

    /// <summary>Sets waiting in the pool.</summary>
    public int Retained => Volatile.Read(ref _retained);

    public RequestBuffers Rent()
    {
        Interlocked.Increment(ref _rented);
        if (_free.TryDequeue(out var buffers))
        {
            Interlocked.Decrement(ref _retained);
            return buffers;
        }

        return new RequestBuffers();
    }

    public void Return(RequestBuffers buffers)
    {
        Interlocked.Decrement(ref _rented);
        if (!buffers.Poolable)
        {
            return;
        }

        if (Interlocked.Increment(ref _retained) > MaxRetained)
        {
            Interlocked.Decrement(ref _retained);
            return;
        }

        _free.Enqueue(buffers);
    }

    /// <summary>A set that may still be in use (a request that failed with a bug): it only stops counting as rented.</summary>
    public void Forget() => Interlocked.Decrement(ref _rented);
}
