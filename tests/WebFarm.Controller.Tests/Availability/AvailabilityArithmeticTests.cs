using WebFarm.Controller.Availability;
using WebFarm.Controller.Store;
using WebFarm.Controller.Tests.Infrastructure;

namespace WebFarm.Controller.Tests.Availability;

/// <summary>
/// Availability figures from a scripted sequence of outages: observations go through the recorder into a real store
/// on a hand-moved clock, and the report's percentages and nines are checked against arithmetic done by hand.
/// </summary>
public sealed class AvailabilityArithmeticTests : IDisposable
{
    private static readonly TimeSpan Week = TimeSpan.FromDays(7);
    private readonly TempDirectory _dir = new();
    private readonly ManualClock _clock = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_scripted_day_of_outages_gives_the_hand_computed_percentages_and_nines()
    {
        await using var store = await SqliteControllerStore.OpenAsync(_dir.Sub("controller.db"), default);
        var recorder = new AvailabilityRecorder(store, _clock);
        await recorder.StartAsync(default);
        var t0 = _clock.GetUtcNow();

        // t0: everything in service.
        await Observe(recorder, web1: SubjectStatus.Up, web2: SubjectStatus.Up, farmUp: true);

        // +1 h: web1 drained by an operator for 30 min, then its agent is lost for 10 min (the cause changes: split).
        await At(recorder, TimeSpan.FromHours(1), SubjectStatus.ScheduledDown("draining (operator)"), SubjectStatus.Up, farmUp: true);
        await At(recorder, TimeSpan.FromMinutes(30), SubjectStatus.UnscheduledDown("agent lost (no heartbeats)"), SubjectStatus.Up, farmUp: true);
        await At(recorder, TimeSpan.FromMinutes(10), SubjectStatus.Up, SubjectStatus.Up, farmUp: true);

        // +2 h: both fail their health check for 6 min: the app and the farm are down too.
        await At(recorder, TimeSpan.FromHours(2), SubjectStatus.UnscheduledDown("failed health check"), SubjectStatus.UnscheduledDown("failed health check"), farmUp: false);
        await At(recorder, TimeSpan.FromMinutes(6), SubjectStatus.Up, SubjectStatus.Up, farmUp: true);

        // t0 + 9 h 6 min: web2 fails and is still down at the end, t0 + 10 h (open: counts up to now, 54 min).
        await At(recorder, t0 + TimeSpan.FromMinutes(546) - _clock.GetUtcNow(), SubjectStatus.Up, SubjectStatus.UnscheduledDown("failed health check"), farmUp: true);
        _clock.Advance(TimeSpan.FromMinutes(54));
        var now = _clock.GetUtcNow();
        Assert.Equal(t0 + TimeSpan.FromHours(10), now);

        var report = AvailabilityReport.Compute(await store.ListAvailabilitySubjectsAsync(default), await store.ListDowntimeAsync(now - Week, default), now - Week, now);
        Assert.Equal(["farm:farm", "app:web", "server:web1", "server:web2"], report.Subjects.Select(s => $"{s.Kind.ToString().ToLowerInvariant()}:{s.Name}"));

        // The period starts when each was first seen in service (t0), not a week ago: 600 min.
        var web1 = report.Subjects.Single(s => s.Name == "web1");
        Assert.Equal((t0, now), (web1.From, web1.To));
        Assert.Equal((TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(16), 3), (web1.ScheduledDowntime, web1.UnscheduledDowntime, web1.Outages));
        Assert.Equal(100 - (46.0 / 600 * 100), web1.AvailabilityPercent, 9);        // 92.333 %
        Assert.Equal(100 - (16.0 / 600 * 100), web1.UnscheduledAvailabilityPercent, 9); // scheduled maintenance excluded
        Assert.Equal(1.1, web1.Nines);                                              // -log10(46/600) = 1.11

        var web2 = report.Subjects.Single(s => s.Name == "web2");
        Assert.Equal((TimeSpan.Zero, TimeSpan.FromMinutes(60), 2), (web2.ScheduledDowntime, web2.UnscheduledDowntime, web2.Outages));
        Assert.Equal(90, web2.AvailabilityPercent, 9);
        Assert.Equal(1.0, web2.Nines); // exactly one nine: 10 % down

        // 6 min of 600 down: 99 %, exactly two nines (not 1.9 from -log10's last bit).
        var farm = report.Subjects.Single(s => s.Kind == SubjectKind.Farm);
        Assert.Equal((99.0, 2.0, 1), (Math.Round(farm.AvailabilityPercent, 9), farm.Nines, farm.Outages));
        Assert.Equal(farm.AvailabilityPercent, report.Subjects.Single(s => s.Kind == SubjectKind.App).AvailabilityPercent);

        // The downtime list: every interval in the period, oldest first; the open one has no end.
        Assert.Equal(7, report.Downtime.Count);
        Assert.Equal(("web1", true, "draining (operator)"), (report.Downtime[0].Subject, report.Downtime[0].Scheduled, report.Downtime[0].Cause));
        Assert.Null(report.Downtime[^1].Ended);

        // A shorter period clips intervals at its start: from t0 + 1 h 15 min, web1 shows 15 of its 30 drained minutes.
        var since = t0 + TimeSpan.FromMinutes(75);
        var clipped = AvailabilityReport.Compute(await store.ListAvailabilitySubjectsAsync(default), await store.ListDowntimeAsync(since, default), since, now);
        var web1Clipped = clipped.Subjects.Single(s => s.Name == "web1");
        Assert.Equal((TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(16)), (web1Clipped.ScheduledDowntime, web1Clipped.UnscheduledDowntime));
        Assert.Equal(100 - (31.0 / 525 * 100), web1Clipped.AvailabilityPercent, 9);
    }

    [Fact]
    public async Task Downtime_before_a_subject_was_ever_in_service_does_not_count_and_a_new_leader_closes_what_was_left_open()
    {
        await using var store = await SqliteControllerStore.OpenAsync(_dir.Sub("controller.db"), default);
        var recorder = new AvailabilityRecorder(store, _clock);
        await recorder.StartAsync(default);

        // Joined but never healthy: no availability yet.
        await recorder.ObserveAsync(SubjectKind.Server, "web1", SubjectStatus.UnscheduledDown("not in rotation: waiting for its health check"), default);
        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Empty(await store.ListAvailabilitySubjectsAsync(default));

        await recorder.ObserveAsync(SubjectKind.Server, "web1", SubjectStatus.Up, default);
        var firstSeen = _clock.GetUtcNow();
        _clock.Advance(TimeSpan.FromMinutes(5));
        await recorder.ObserveAsync(SubjectKind.Server, "web1", SubjectStatus.UnscheduledDown("agent lost (no heartbeats)"), default);
        _clock.Advance(TimeSpan.FromMinutes(5));

        // This leader dies with the interval open; the next one ends it when it starts, and observes afresh.
        var next = new AvailabilityRecorder(store, _clock);
        await next.StartAsync(default);
        var now = _clock.GetUtcNow();
        var report = AvailabilityReport.Compute(await store.ListAvailabilitySubjectsAsync(default), await store.ListDowntimeAsync(now - Week, default), now - Week, now);
        var web1 = Assert.Single(report.Subjects);
        Assert.Equal((firstSeen, TimeSpan.FromMinutes(5)), (web1.From, web1.UnscheduledDowntime));
        Assert.Equal(50, web1.AvailabilityPercent, 9);
        Assert.Equal(now, Assert.Single(report.Downtime).Ended);

        // Still down when the new leader looks: a new interval from its first observation.
        await next.ObserveAsync(SubjectKind.Server, "web1", SubjectStatus.UnscheduledDown("agent lost (no heartbeats)"), default);
        _clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(2, (await store.ListDowntimeAsync(now - Week, default)).Count);
    }

    [Fact]
    public void No_downtime_is_100_percent_with_no_nines_figure_and_an_empty_period_is_100_percent()
    {
        var now = new DateTimeOffset(2026, 12, 6, 8, 0, 0, TimeSpan.Zero);
        var report = AvailabilityReport.Compute(
            [new AvailabilitySubject(SubjectKind.Server, "web1", now - TimeSpan.FromDays(30)), new AvailabilitySubject(SubjectKind.Server, "web2", now)],
            [],
            now - Week,
            now);
        Assert.Equal((100.0, (double?)null, now - Week), (report.Subjects[0].AvailabilityPercent, report.Subjects[0].Nines, report.Subjects[0].From));
        Assert.Equal((100.0, (double?)null), (report.Subjects[1].AvailabilityPercent, report.Subjects[1].Nines));
    }

    private Task At(AvailabilityRecorder recorder, TimeSpan after, SubjectStatus web1, SubjectStatus web2, bool farmUp)
    {
        _clock.Advance(after);
        return Observe(recorder, web1, web2, farmUp);
    }

    private static async Task Observe(AvailabilityRecorder recorder, SubjectStatus web1, SubjectStatus web2, bool farmUp)
    {
        await recorder.ObserveAsync(SubjectKind.Server, "web1", web1, default);
        await recorder.ObserveAsync(SubjectKind.Server, "web2", web2, default);
        var group = farmUp ? SubjectStatus.Up : SubjectStatus.UnscheduledDown("no server in rotation");
        await recorder.ObserveAsync(SubjectKind.App, "web", group, default);
        await recorder.ObserveAsync(SubjectKind.Farm, "farm", group, default);
    }
}
