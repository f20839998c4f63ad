using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Statistics;

namespace WebFarm.Balancer.Tests.Statistics;

public class ServerStatisticsTests
{
    private readonly ManualClock _clock = new();

    [Fact]
    public void Percentiles_of_1_to_1000_ms_are_within_the_bin_precision()
    {
        var stats = new ServerStatistics("web", "web1", null, _clock);
        // Shuffled so the result cannot depend on recording order.
        var values = Enumerable.Range(1, 1000).OrderBy(v => (v * 7919) % 1000).ToArray();
        foreach (var ms in values)
        {
            stats.RecordResponse(200, TimeSpan.FromMilliseconds(ms), 0, 0);
        }

        var p = stats.Percentiles;
        Assert.Equal(1000, p.Samples);
        // Nearest rank: p50 = 500 ms, p95 = 950 ms, p99 = 990 ms; bins are 1/16 wide, so within 3.2%.
        AssertWithin(500, p.P50Ms, 0.032);
        AssertWithin(950, p.P95Ms, 0.032);
        AssertWithin(990, p.P99Ms, 0.032);
    }

    [Fact]
    public void Percentiles_pick_the_tail_not_the_average()
    {
        var stats = new ServerStatistics("web", "web1", null, _clock);
        for (var i = 0; i < 980; i++)
        {
            stats.RecordResponse(200, TimeSpan.FromMilliseconds(2), 0, 0);
        }

        for (var i = 0; i < 20; i++)
        {
            stats.RecordResponse(200, TimeSpan.FromSeconds(3), 0, 0);
        }

        var p = stats.Percentiles;
        AssertWithin(2, p.P50Ms, 0.032);
        AssertWithin(2, p.P95Ms, 0.032);   // rank 950 is still a 2 ms sample
        AssertWithin(3000, p.P99Ms, 0.032); // rank 990 is one of the 3 s samples
    }

    [Fact]
    public void Sub_16_microsecond_values_are_exact()
    {
        var stats = new ServerStatistics("web", "web1", null, _clock);
        stats.RecordResponse(200, TimeSpan.FromMicroseconds(7), 0, 0);

        Assert.Equal(0.007, stats.Percentiles.P99Ms, 9);
    }

    /// <summary>A forwarder hands over the time it read to end the attempt: the window files the response under that second, reading no clock itself.</summary>
    [Fact]
    public void A_response_recorded_with_its_end_time_counts_in_that_second()
    {
        var stats = new ServerStatistics("web", "web1", null, _clock);
        var now = _clock.GetTimestamp();

        stats.RecordResponse(200, TimeSpan.FromMilliseconds(2), 0, 0, now - (61 * _clock.TimestampFrequency));
        Assert.Equal(0, stats.Percentiles.Samples); // older than the window
        Assert.Equal(1, stats.Requests);

        stats.RecordResponse(200, TimeSpan.FromMilliseconds(2), 0, 0, now);
        Assert.Equal(1, stats.Percentiles.Samples);
    }

    [Fact]
    public void Window_slides_old_samples_out_after_60_seconds()
    {
        var stats = new ServerStatistics("web", "web1", null, _clock);
        Record(stats, 100, TimeSpan.FromMilliseconds(500));

        _clock.Advance(TimeSpan.FromSeconds(30));
        Record(stats, 100, TimeSpan.FromMilliseconds(10));
        var both = stats.Percentiles;
        Assert.Equal(200, both.Samples);
        AssertWithin(10, both.P50Ms, 0.032);
        AssertWithin(500, both.P99Ms, 0.032);

        _clock.Advance(TimeSpan.FromSeconds(31)); // the first batch is now 61 s old
        var recent = stats.Percentiles;
        Assert.Equal(100, recent.Samples);
        AssertWithin(10, recent.P99Ms, 0.032);

        _clock.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(new ResponseTimePercentiles(0, 0, 0, 0), stats.Percentiles);
        Assert.Equal(200, stats.Requests); // totals are not windowed
    }

    [Fact]
    public void A_slot_reused_a_minute_later_starts_empty()
    {
        var stats = new ServerStatistics("web", "web1", null, _clock);
        Record(stats, 50, TimeSpan.FromSeconds(1));

        _clock.Advance(TimeSpan.FromSeconds(60)); // same ring slot, next minute
        Record(stats, 5, TimeSpan.FromMilliseconds(1));

        var p = stats.Percentiles;
        Assert.Equal(5, p.Samples);
        AssertWithin(1, p.P99Ms, 0.032);
    }

    [Fact]
    public void Requests_per_second_covers_the_last_10_complete_seconds()
    {
        var stats = new ServerStatistics("web", "web1", null, _clock);
        for (var second = 0; second < 10; second++)
        {
            Record(stats, 30, TimeSpan.FromMilliseconds(1));
            stats.RecordTransportFailure(TimeSpan.FromMilliseconds(1)); // failures are requests too
            _clock.Advance(TimeSpan.FromSeconds(1));
        }

        Record(stats, 1000, TimeSpan.FromMilliseconds(1)); // current, partial second: not counted yet
        Assert.Equal(31.0, stats.RequestsPerSecond, 9);

        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal((5 * 31 + 1000) / 10.0, stats.RequestsPerSecond, 9);

        _clock.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(0.0, stats.RequestsPerSecond);
    }

    [Fact]
    public void Counts_status_classes_failures_and_bytes()
    {
        var stats = new ServerStatistics("web", "web1", null, _clock);
        stats.RecordResponse(101, TimeSpan.FromMilliseconds(1), 0, 0);
        stats.RecordResponse(200, TimeSpan.FromMilliseconds(1), 100, 1000);
        stats.RecordResponse(204, TimeSpan.FromMilliseconds(1), 0, 0);
        stats.RecordResponse(304, TimeSpan.FromMilliseconds(1), 0, 0);
        stats.RecordResponse(404, TimeSpan.FromMilliseconds(1), 5, 50);
        stats.RecordResponse(503, TimeSpan.FromMilliseconds(1), 0, 20);
        stats.RecordResponse(999, TimeSpan.FromMilliseconds(1), 0, 0);
        stats.RecordTransportFailure(TimeSpan.FromSeconds(5));

        var server = new ServerRuntime("web", "web1", new Uri("http://127.0.0.1:1/"), 3, backup: true);
        var s = stats.Snapshot(server);
        Assert.Equal((1, 2, 1, 1, 1, 1), (s.Responses1xx, s.Responses2xx, s.Responses3xx, s.Responses4xx, s.Responses5xx, s.ResponsesOther));
        Assert.Equal(1, s.TransportFailures);
        Assert.Equal(8, s.Requests);
        Assert.Equal(105, s.BytesIn);
        Assert.Equal(1070, s.BytesOut);
        Assert.Equal(7, s.ResponseTime.Samples); // the failure is not a response time
        Assert.Equal((3, true, ServerState.Online), (s.Weight, s.Backup, s.State));
    }

    [Fact]
    public void Moving_average_starts_at_the_first_sample_and_moves_a_fifth_per_sample()
    {
        var stats = new ServerStatistics("web", "web1", null, _clock);
        Assert.Equal(0, stats.ResponseTimeEwmaMs);

        stats.RecordResponse(200, TimeSpan.FromMilliseconds(100), 0, 0);
        Assert.Equal(100, stats.ResponseTimeEwmaMs, 9);

        stats.RecordResponse(200, TimeSpan.FromMilliseconds(200), 0, 0);
        Assert.Equal(120, stats.ResponseTimeEwmaMs, 9);
        Assert.Equal(2, stats.ResponseTimeSamples);
    }

    [Fact]
    public void Concurrent_recording_loses_nothing()
    {
        var stats = new ServerStatistics("web", "web1", null, _clock);
        Parallel.For(0, 4, t =>
        {
            for (var i = 0; i < 25_000; i++)
            {
                stats.RecordResponse(200 + (100 * (i % 4)), TimeSpan.FromMicroseconds(10 + (i % 5000)), 1, 2);
            }
        });

        Assert.Equal(100_000, stats.Requests);
        Assert.Equal(100_000, stats.Percentiles.Samples);
        Assert.Equal(100_000, stats.BytesIn);
        Assert.Equal(200_000, stats.BytesOut);
        Assert.Equal(25_000, stats.ResponsesOfClass(5));
    }

    [Fact]
    public async Task Concurrent_recording_across_second_boundaries_keeps_window_consistent()
    {
        var stats = new ServerStatistics("web", "web1", null, _clock);
        using var done = new CancellationTokenSource();
        var ticker = Task.Run(() =>
        {
            // Move the clock while writers run, so slots are claimed and cleared under contention.
            for (var i = 0; i < 30 && !done.IsCancellationRequested; i++)
            {
                _clock.Advance(TimeSpan.FromSeconds(1));
                Thread.Sleep(1);
            }
        });
        Parallel.For(0, 3, _ =>
        {
            for (var i = 0; i < 30_000; i++)
            {
                stats.RecordResponse(200, TimeSpan.FromMilliseconds(1), 0, 0);
            }
        });
        done.Cancel();
        await ticker.WaitAsync(TimeSpan.FromSeconds(30));

        // Totals are exact; the window holds at most what was recorded (nothing invented by a clear race).
        Assert.Equal(90_000, stats.Requests);
        Assert.InRange(stats.Percentiles.Samples, 1, 90_000);
    }

    private static void Record(ServerStatistics stats, int count, TimeSpan elapsed)
    {
        for (var i = 0; i < count; i++)
        {
            stats.RecordResponse(200, elapsed, 0, 0);
        }
    }

    private static void AssertWithin(double expected, double actual, double relative)
        => Assert.True(
            Math.Abs(actual - expected) <= expected * relative,
            $"expected {expected} ± {relative:P1}, got {actual}");
}
