using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Events;

namespace WebFarm.Balancer.Tests.Events;

public class EventStreamTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public void Events_get_increasing_sequences_from_1_and_the_clock_time()
    {
        var clock = new ManualClock();
        var stream = new EventStream(null, time: clock);

        var a = stream.Publish("web", "web1", EventKind.Draining, "draining");
        clock.Advance(TimeSpan.FromSeconds(2));
        var b = stream.Publish("web", "web1", EventKind.FinishedDraining, "finished draining");

        Assert.Equal(1, a.Sequence);
        Assert.Equal(2, b.Sequence);
        Assert.Equal(clock.GetUtcNow(), b.Time);
        Assert.Equal(TimeSpan.FromSeconds(2), b.Time - a.Time);
        Assert.Equal(2, stream.LastSequence);
        Assert.Equal(new FarmEvent(2, b.Time, "web", "web1", EventKind.FinishedDraining, "finished draining"), b);
    }

    [Fact]
    public void Since_returns_later_events_in_order_up_to_max()
    {
        var stream = new EventStream();
        for (var i = 1; i <= 10; i++)
        {
            stream.Publish("web", $"web{i}", EventKind.Online, $"m{i}");
        }

        Assert.Equal([4L, 5, 6, 7, 8, 9, 10], stream.Since(3).Select(e => e.Sequence));
        Assert.Equal([4L, 5], stream.Since(3, max: 2).Select(e => e.Sequence));
        Assert.Equal(10, stream.Since(0).Count);
        Assert.Equal(10, stream.Since(-5).Count);
        Assert.Empty(stream.Since(10));
        Assert.Empty(stream.Since(99));
        Assert.Empty(stream.Since(0, max: 0));
    }

    [Fact]
    public void Ring_keeps_only_the_latest_events()
    {
        var stream = new EventStream(null, capacity: 5);
        for (var i = 1; i <= 12; i++)
        {
            stream.Publish(null, null, EventKind.ConfigReloaded, $"m{i}");
        }

        Assert.Equal([8L, 9, 10, 11, 12], stream.Since(0).Select(e => e.Sequence));
        Assert.Equal([10L, 11, 12], stream.Since(9).Select(e => e.Sequence));
        Assert.Equal("m12", stream.Since(11).Single().Message);
    }

    [Fact]
    public void Concurrent_publishers_get_unique_gap_free_sequences()
    {
        var stream = new EventStream(null, capacity: 10_000);
        var returned = new ConcurrentBag<long>();
        Parallel.For(0, 4, t =>
        {
            for (var i = 0; i < 1_000; i++)
            {
                returned.Add(stream.Publish("web", $"t{t}", EventKind.WeightChanged, $"{i}").Sequence);
            }
        });

        Assert.Equal(Enumerable.Range(1, 4_000).Select(i => (long)i), returned.Order());
        var all = stream.Since(0);
        Assert.Equal(Enumerable.Range(1, 4_000).Select(i => (long)i), all.Select(e => e.Sequence));
        for (var i = 1; i < all.Count; i++)
        {
            Assert.True(all[i].Time >= all[i - 1].Time, "sequence order must also be time order");
        }
    }

    [Fact]
    public async Task Subscriber_is_woken_by_a_publish()
    {
        var stream = new EventStream();
        using var cts = new CancellationTokenSource(Deadline);
        await using var subscription = stream.SubscribeAsync(0, cts.Token).GetAsyncEnumerator(cts.Token);

        var next = subscription.MoveNextAsync();
        Assert.False(next.IsCompleted); // nothing published yet: the reader waits

        stream.Publish("web", "web1", EventKind.GoingOffline, "going offline");
        Assert.True(await next.AsTask().WaitAsync(Deadline));
        Assert.Equal(EventKind.GoingOffline, subscription.Current.Kind);
        Assert.Equal(1, subscription.Current.Sequence);
    }

    [Fact]
    public async Task Subscription_replays_the_backlog_after_since_then_continues_live_without_duplicates()
    {
        var stream = new EventStream();
        stream.Publish("web", "web1", EventKind.Draining, "1");
        stream.Publish("web", "web1", EventKind.FinishedDraining, "2");
        stream.Publish("web", "web1", EventKind.Offline, "3");

        using var cts = new CancellationTokenSource(Deadline);
        var received = new List<FarmEvent>();
        await foreach (var e in stream.SubscribeAsync(1, cts.Token))
        {
            received.Add(e);
            if (e.Sequence == 3)
            {
                stream.Publish("web", "web1", EventKind.GoingOnline, "4");
                stream.Publish("web", "web1", EventKind.Online, "5");
            }

            if (e.Sequence == 5)
            {
                break;
            }
        }

        Assert.Equal([2L, 3, 4, 5], received.Select(e => e.Sequence));
        Assert.Equal(0, stream.SubscriberCount); // leaving the loop unsubscribes
    }

    [Fact]
    public async Task Slow_subscriber_loses_old_events_and_gets_a_gap_marker_while_publish_never_blocks()
    {
        var stream = new EventStream(null, capacity: 100, subscriberBuffer: 4);
        using var cts = new CancellationTokenSource(Deadline);
        await using var subscription = stream.SubscribeAsync(0, cts.Token).GetAsyncEnumerator(cts.Token);
        var first = subscription.MoveNextAsync(); // registers the subscriber
        stream.Publish(null, null, EventKind.ConfigReloaded, "1");
        Assert.True(await first.AsTask().WaitAsync(Deadline));
        Assert.Equal(1, subscription.Current.Sequence);

        // The subscriber does not read while 10 more are published: Publish returns every time.
        for (var i = 2; i <= 11; i++)
        {
            stream.Publish(null, null, EventKind.ConfigReloaded, $"{i}");
        }

        var rest = new List<FarmEvent>();
        for (var i = 0; i < 5; i++)
        {
            Assert.True(await subscription.MoveNextAsync().AsTask().WaitAsync(Deadline));
            rest.Add(subscription.Current);
        }

        // The buffer of 4 kept 8..11; 2..7 were lost and are reported as one gap.
        Assert.Equal(EventKind.EventsLost, rest[0].Kind);
        Assert.Equal(7, rest[0].Sequence);
        Assert.Contains("events 2-7 were lost", rest[0].Message);
        Assert.Equal([8L, 9, 10, 11], rest.Skip(1).Select(e => e.Sequence));
    }

    [Fact]
    public async Task Subscribing_behind_the_ring_reports_the_missing_events()
    {
        var stream = new EventStream(null, capacity: 5);
        for (var i = 1; i <= 10; i++)
        {
            stream.Publish(null, null, EventKind.ConfigReloaded, $"{i}");
        }

        using var cts = new CancellationTokenSource(Deadline);
        var received = new List<FarmEvent>();
        await foreach (var e in stream.SubscribeAsync(2, cts.Token))
        {
            received.Add(e);
            if (e.Sequence == 10)
            {
                break;
            }
        }

        Assert.Equal(EventKind.EventsLost, received[0].Kind);
        Assert.Contains("events 3-5 were lost", received[0].Message);
        Assert.Equal([5L, 6, 7, 8, 9, 10], received.Select(e => e.Sequence));
    }

    [Fact]
    public async Task Subscription_resuming_from_a_previous_run_gets_new_events()
    {
        // A dashboard reconnects with Last-Event-ID 500 after the balancer restarted (sequences begin at 1 again).
        var stream = new EventStream();
        stream.Publish(null, null, EventKind.ConfigReloaded, "1");
        using var cts = new CancellationTokenSource(Deadline);
        await using var subscription = stream.SubscribeAsync(500, cts.Token).GetAsyncEnumerator(cts.Token);

        var next = subscription.MoveNextAsync();
        stream.Publish("web", "web1", EventKind.Online, "2");

        Assert.True(await next.AsTask().WaitAsync(Deadline));
        Assert.Equal(2, subscription.Current.Sequence);
    }

    [Fact]
    public async Task Cancelling_a_subscription_ends_it_and_unsubscribes()
    {
        var stream = new EventStream();
        using var cts = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            var count = 0;
            await foreach (var e in stream.SubscribeAsync(0, cts.Token))
            {
                count++;
            }

            return count;
        });

        await WaitUntil(() => stream.SubscriberCount == 1);
        stream.Publish(null, null, EventKind.ConfigReloaded, "x");
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reader.WaitAsync(Deadline));
        Assert.Equal(0, stream.SubscriberCount);
    }

    [Fact]
    public void Events_are_logged_with_a_level_that_matches_their_kind()
    {
        var logger = new ListLogger();
        var stream = new EventStream(logger);

        stream.Publish("web", "web2", EventKind.Failed, "health check failed: 500");
        stream.Publish("web", "web2", EventKind.Rejoined, "health check passed");

        Assert.Equal(2, logger.Entries.Count);
        Assert.Equal(LogLevel.Warning, logger.Entries[0].Level);
        Assert.Contains("failed farm=web server=web2: health check failed: 500", logger.Entries[0].Message);
        Assert.Equal(LogLevel.Information, logger.Entries[1].Level);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met before the deadline");
            await Task.Delay(10);
        }
    }

    /// <summary>A minimal real logger that keeps what it is given.</summary>
    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Entries)
            {
                Entries.Add((logLevel, formatter(state, exception)));
            }
        }
    }
}
