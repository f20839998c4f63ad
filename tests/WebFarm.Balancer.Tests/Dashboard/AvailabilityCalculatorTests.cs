using WebFarm.Balancer.Dashboard;
using WebFarm.Balancer.Events;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Tests.Dashboard;

/// <summary>Availability replayed from the balancer's events: scheduled and unscheduled downtime apart, nines, farm = any server up.</summary>
public sealed class AvailabilityCalculatorTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_failure_counts_against_availability_and_a_drain_does_not()
    {
        var server = new ServerRuntime("web", "web1", new Uri("http://127.0.0.1:5001"), 1, backup: false);
        FarmEvent[] events =
        [
            Event(1, 10, "web1", EventKind.Failed),
            Event(2, 20, "web1", EventKind.Rejoined),
            Event(3, 30, "web1", EventKind.Draining),
            Event(4, 35, "web1", EventKind.GoingOnline),
            Event(5, 40, "web1", EventKind.Online),
        ];

        var report = new AvailabilityReport("web", "web1", AvailabilityCalculator.ServerTimeline(server, events, T0, T0.AddMinutes(60)));

        Assert.Equal(TimeSpan.FromMinutes(40), report.Up);
        Assert.Equal(TimeSpan.FromMinutes(10), report.Unscheduled);
        Assert.Equal(TimeSpan.FromMinutes(10), report.Scheduled);
        Assert.Equal(0.8, report.Availability, 6);
        Assert.Equal(Math.Log10(5), report.Nines!.Value, 6);
        Assert.Equal(
            [AvailabilityStatus.Up, AvailabilityStatus.Unscheduled, AvailabilityStatus.Up, AvailabilityStatus.Scheduled, AvailabilityStatus.Up],
            report.Segments.Select(s => s.Status));
    }

    [Fact]
    public void The_state_before_the_first_event_is_what_that_event_changed_from()
    {
        // Rejoined first: the server was down from the start of the window; Online first: it was out by decision.
        var server = new ServerRuntime("web", "web1", new Uri("http://127.0.0.1:5001"), 1, backup: false);
        var rejoined = AvailabilityCalculator.ServerTimeline(server, [Event(1, 5, "web1", EventKind.Rejoined)], T0, T0.AddMinutes(10));
        Assert.Equal([new AvailabilitySegment(T0, T0.AddMinutes(5), AvailabilityStatus.Unscheduled), new AvailabilitySegment(T0.AddMinutes(5), T0.AddMinutes(10), AvailabilityStatus.Up)], rejoined);

        var online = AvailabilityCalculator.ServerTimeline(server, [Event(1, 4, "web1", EventKind.Online)], T0, T0.AddMinutes(10));
        Assert.Equal(AvailabilityStatus.Scheduled, online[0].Status);
        Assert.Equal(TimeSpan.FromMinutes(4), online[0].Duration);

        // No event at all: what the server is now, for the whole window.
        server.Healthy = false;
        var none = Assert.Single(AvailabilityCalculator.ServerTimeline(server, [], T0, T0.AddMinutes(10)));
        Assert.Equal(AvailabilityStatus.Unscheduled, none.Status);
    }

    [Fact]
    public void Events_before_the_window_set_its_starting_state_and_other_servers_events_are_ignored()
    {
        var server = new ServerRuntime("web", "web1", new Uri("http://127.0.0.1:5001"), 1, backup: false);
        FarmEvent[] events =
        [
            Event(1, -10, "web1", EventKind.Failed),
            Event(2, 2, "web2", EventKind.Rejoined),
            Event(3, 6, "web1", EventKind.Rejoined),
        ];

        var segments = AvailabilityCalculator.ServerTimeline(server, events, T0, T0.AddMinutes(10));

        Assert.Equal([new AvailabilitySegment(T0, T0.AddMinutes(6), AvailabilityStatus.Unscheduled), new AvailabilitySegment(T0.AddMinutes(6), T0.AddMinutes(10), AvailabilityStatus.Up)], segments);
    }

    [Fact]
    public void A_farm_is_up_while_any_server_is_and_down_unscheduled_only_while_none_is()
    {
        AvailabilityReport web1 = new("web", "web1", [Up(0, 10), Down(10, 20), Up(20, 60)]);
        AvailabilityReport web2 = new("web", "web2", [Up(0, 15), Down(15, 25), Up(25, 60)]);

        var farm = new AvailabilityReport("web", null, AvailabilityCalculator.FarmTimeline([web1, web2], T0, T0.AddMinutes(60)));

        Assert.Equal(TimeSpan.FromMinutes(5), farm.Unscheduled);
        Assert.Equal(TimeSpan.FromMinutes(55), farm.Up);
        Assert.Equal(new AvailabilitySegment(T0.AddMinutes(15), T0.AddMinutes(20), AvailabilityStatus.Unscheduled), farm.Segments[1]);
    }

    [Fact]
    public void No_unscheduled_downtime_is_100_percent_with_unbounded_nines()
    {
        var report = new AvailabilityReport("web", "web1", [Up(0, 10), new AvailabilitySegment(T0.AddMinutes(10), T0.AddMinutes(20), AvailabilityStatus.Scheduled)]);

        Assert.Equal(1, report.Availability);
        Assert.Null(report.Nines);
    }

    private static AvailabilitySegment Up(int from, int to) => new(T0.AddMinutes(from), T0.AddMinutes(to), AvailabilityStatus.Up);

    private static AvailabilitySegment Down(int from, int to) => new(T0.AddMinutes(from), T0.AddMinutes(to), AvailabilityStatus.Unscheduled);

    private static FarmEvent Event(long sequence, int minute, string server, EventKind kind)
        => new(sequence, T0.AddMinutes(minute), "web", server, kind, kind.ToString());
}
