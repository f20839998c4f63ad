using WebFarm.State.Protocol;
using WebFarm.State.Storage;

namespace WebFarm.State.PubSub;

/// <summary>
/// One client's subscriptions and its outbox of messages not yet written to its connection.
/// Publishers (under the store lock, on any thread) only append to the outbox and wake the connection;
/// the connection writes the outbox into its own output, so a publisher never waits for a subscriber.
/// The outbox is bounded: a subscriber that falls more than <see cref="_limitBytes"/> behind is dropped
/// (Redis's client-output-buffer-limit for pubsub clients), never buffered without end.
/// </summary>
internal sealed class Subscriber(long limitBytes, Action wake, Action<long> drop)
{
    private readonly long _limitBytes = limitBytes;
    private readonly Lock _outboxLock = new();
    private Queue<byte[]> _outbox = new();
    private Queue<byte[]> _spare = new();
    private long _outboxBytes;
    private bool _dropped;

    public HashSet<byte[]> Channels { get; } = new(ByteArrayComparer.Instance);

    /// <summary>Patterns in subscription order, as Redis keeps them (PUNSUBSCRIBE without arguments answers in this order).</summary>
    public List<byte[]> Patterns { get; } = [];

    /// <summary>Channels plus patterns: the count every (un)subscribe confirmation carries.</summary>
    public int Count => Channels.Count + Patterns.Count;

    /// <summary>Cheap check (no lock) for the connection loop; a stale answer only delays a drain to the next pass.</summary>
    public bool HasPending => Volatile.Read(ref _outboxBytes) > 0;

    public int IndexOfPattern(ReadOnlySpan<byte> pattern)
    {
        for (var i = 0; i < Patterns.Count; i++)
        {
            if (Patterns[i].AsSpan().SequenceEqual(pattern))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Queues an encoded push message; false when the subscriber was (or is now) dropped for falling behind.</summary>
    public bool Deliver(byte[] push)
    {
        bool wakeUp;
        bool overflow;
        lock (_outboxLock)
        {
            if (_dropped)
            {
                return false;
            }

            overflow = _outboxBytes + push.Length > _limitBytes;
            wakeUp = !overflow && _outbox.Count == 0;
            if (overflow)
            {
                _dropped = true;
                _outbox.Clear();
                Volatile.Write(ref _outboxBytes, 0);
            }
            else
            {
                _outbox.Enqueue(push);
                Volatile.Write(ref _outboxBytes, _outboxBytes + push.Length);
            }
        }

        if (overflow)
        {
            drop(_limitBytes);
            return false;
        }

        if (wakeUp)
        {
            wake();
        }

        return true;
    }

    /// <summary>Writes every queued message into the connection's output (called by the connection only).</summary>
    public void DrainTo(RespWriter reply)
    {
        Queue<byte[]> batch;
        lock (_outboxLock)
        {
            if (_outbox.Count == 0)
            {
                return;
            }

            // Swap queues so publishers are never held up while megabytes are copied into the output.
            batch = _outbox;
            _outbox = _spare;
            _spare = batch;
            Volatile.Write(ref _outboxBytes, 0);
        }

        while (batch.TryDequeue(out var push))
        {
            reply.Raw(push);
        }
    }
}
