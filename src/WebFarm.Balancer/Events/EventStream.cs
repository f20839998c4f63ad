using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace WebFarm.Balancer.Events;

/// <summary>
/// The balancer's single event stream: a bounded, thread-safe ring of the latest events with monotonic
/// sequence numbers (from 1), read by polling (<see cref="Since"/>, for ?since=) or by subscription
/// (<see cref="SubscribeAsync"/>, for server-sent events).
/// </summary>
/// <remarks>
/// Publishing never waits for readers: each subscriber has its own bounded channel that drops its oldest
/// event when full, and the subscriber is then handed an <see cref="EventKind.EventsLost"/> marker saying
/// which sequences it missed. A slow dashboard therefore cannot stall a state change in the data plane.
/// </remarks>
public sealed partial class EventStream
{
    public const int DefaultCapacity = 10_000;

    /// <summary>Events a subscriber may fall behind before it starts losing the oldest.</summary>
    public const int DefaultSubscriberBuffer = 1_000;

    private readonly Lock _lock = new();
    private readonly FarmEvent?[] _ring;
    private readonly ILogger? _logger;
    private readonly TimeProvider _time;
    private readonly int _subscriberBuffer;
    private long _lastSequence;
    private Subscriber[] _subscribers = [];

    public EventStream()
        : this(logger: null)
    {
    }

    public EventStream(ILogger? logger, int capacity = DefaultCapacity, int subscriberBuffer = DefaultSubscriberBuffer, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(subscriberBuffer, 1);
        _ring = new FarmEvent?[capacity];
        _logger = logger;
        _subscriberBuffer = subscriberBuffer;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>How many events the ring keeps.</summary>
    public int Capacity => _ring.Length;

    /// <summary>Sequence of the latest event; 0 before the first.</summary>
    public long LastSequence => Volatile.Read(ref _lastSequence);

    public FarmEvent Publish(string? farm, string? server, EventKind kind, string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        FarmEvent published;
        lock (_lock)
        {
            // Sequence and time are assigned under the lock so that sequence order is also time order.
            var sequence = _lastSequence + 1;
            published = new FarmEvent(sequence, _time.GetUtcNow(), farm, server, kind, message);
            _ring[(int)(sequence % _ring.Length)] = published;
            Volatile.Write(ref _lastSequence, sequence);

            // Writing under the lock gives every subscriber the events in sequence order. TryWrite on a
            // DropOldest channel always succeeds immediately.
            foreach (var subscriber in _subscribers)
            {
                subscriber.Channel.Writer.TryWrite(published);
            }
        }

        LogEvent(published);
        return published;
    }

    /// <summary>Events with a sequence greater than <paramref name="sequence"/>, oldest first, at most <paramref name="max"/>.</summary>
    /// <remarks>Events older than the ring's capacity are gone; the first returned event then has a sequence
    /// above <paramref name="sequence"/> + 1, which is how a poller detects the gap.</remarks>
    public IReadOnlyList<FarmEvent> Since(long sequence, int max = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        lock (_lock)
        {
            return SinceLocked(sequence, max);
        }
    }

    /// <summary>
    /// Events after <paramref name="since"/> that are still in the ring, then every new event as it is
    /// published, until <paramref name="cancellationToken"/> is cancelled. Events this subscriber missed
    /// (older than the ring, or dropped because it read too slowly) are replaced by one
    /// <see cref="EventKind.EventsLost"/> marker per gap.
    /// </summary>
    public async IAsyncEnumerable<FarmEvent> SubscribeAsync(long since, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var subscriber = new Subscriber(_subscriberBuffer);
        IReadOnlyList<FarmEvent> backlog;
        long last;
        lock (_lock)
        {
            // A "since" beyond the latest event comes from a client that saw an earlier run of the balancer
            // (sequences restart at 1); without clamping it would skip every new event until it caught up.
            last = Math.Clamp(since, 0, _lastSequence);

            // Registering and reading the backlog under the same lock as Publish: every event is either in
            // the backlog or in the channel, never both and never neither.
            backlog = SinceLocked(last, int.MaxValue);
            var subscribers = new Subscriber[_subscribers.Length + 1];
            _subscribers.CopyTo(subscribers, 0);
            subscribers[^1] = subscriber;
            _subscribers = subscribers;
        }

        try
        {
            foreach (var e in backlog)
            {
                if (e.Sequence > last + 1)
                {
                    yield return Gap(last, e.Sequence, "they are older than the event buffer keeps");
                }

                last = e.Sequence;
                yield return e;
            }

            var reader = subscriber.Channel.Reader;
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (reader.TryRead(out var e))
                {
                    if (e.Sequence <= last)
                    {
                        continue;
                    }

                    if (e.Sequence > last + 1)
                    {
                        yield return Gap(last, e.Sequence, "this subscriber read too slowly");
                    }

                    last = e.Sequence;
                    yield return e;
                }
            }
        }
        finally
        {
            lock (_lock)
            {
                var index = Array.IndexOf(_subscribers, subscriber);
                if (index >= 0)
                {
                    var subscribers = new Subscriber[_subscribers.Length - 1];
                    Array.Copy(_subscribers, 0, subscribers, 0, index);
                    Array.Copy(_subscribers, index + 1, subscribers, index, _subscribers.Length - index - 1);
                    _subscribers = subscribers;
                }
            }

            subscriber.Channel.Writer.TryComplete();
        }
    }

    /// <summary>Number of live subscriptions (for tests and the admin API).</summary>
    public int SubscriberCount => Volatile.Read(ref _subscribers).Length;

    private List<FarmEvent> SinceLocked(long sequence, int max)
    {
        var last = _lastSequence;
        var first = Math.Max(Math.Max(sequence, 0) + 1, last - _ring.Length + 1);
        var count = (int)Math.Max(0, Math.Min(last - first + 1, max));
        var result = new List<FarmEvent>(count);
        for (var s = first; s < first + count; s++)
        {
            result.Add(_ring[(int)(s % _ring.Length)]!);
        }

        return result;
    }

    private FarmEvent Gap(long lastSeen, long next, string reason)
    {
        var firstLost = lastSeen + 1;
        var lastLost = next - 1;
        var range = firstLost == lastLost ? $"event {firstLost} was" : $"events {firstLost}-{lastLost} were";
        return new FarmEvent(lastLost, _time.GetUtcNow(), null, null, EventKind.EventsLost, $"{range} lost because {reason}.");
    }

    private void LogEvent(FarmEvent e)
    {
        if (_logger is null)
        {
            return;
        }

        var level = e.Kind is EventKind.Failed or EventKind.ConfigRejected or EventKind.PanicEntered
            ? LogLevel.Warning
            : LogLevel.Information;
        if (_logger.IsEnabled(level))
        {
            Log.Event(_logger, level, e.Sequence, EventKindNames.ToKebabCase(e.Kind), e.Farm ?? "-", e.Server ?? "-", e.Message);
        }
    }

    private sealed class Subscriber(int capacity)
    {
        public Channel<FarmEvent> Channel { get; } = System.Threading.Channels.Channel.CreateBounded<FarmEvent>(
            new BoundedChannelOptions(capacity)
            {
                FullMode = BoundedChannelFullMode.DropOldest,
                SingleReader = true,
                SingleWriter = false,
                AllowSynchronousContinuations = false,
            });
    }
}
