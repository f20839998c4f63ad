namespace WebFarm.Controller.Availability;

/// <summary>
/// Turns observations ("web1 is down: agent lost", "web1 is up") into downtime intervals in the store: an interval
/// opens when a subject goes down, closes when it comes back, and is split when the cause changes (a drained server
/// whose agent is then lost: scheduled, then unscheduled). A subject is tracked from the first time it is seen in
/// service (a server that joined but never passed its health check has no availability yet). Observations come from
/// one caller at a time (<see cref="AvailabilityMonitor"/>); the clock is injectable for the arithmetic's tests.
/// </summary>
public sealed class AvailabilityRecorder
{
    private readonly Store.IControllerStore _store;
    private readonly TimeProvider _time;
    private readonly Dictionary<(SubjectKind, string), Tracked> _subjects = [];

    public AvailabilityRecorder(Store.IControllerStore store, TimeProvider? time = null)
    {
        _store = store;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// Ends the intervals a previous leader left open (this leader observes afresh: a subject still down is recorded
    /// again from its first observation) and loads the subjects already tracked.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _store.CloseOpenDowntimeAsync(_time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        foreach (var subject in await _store.ListAvailabilitySubjectsAsync(cancellationToken).ConfigureAwait(false))
        {
            _subjects[(subject.Kind, subject.Name)] = new Tracked();
        }
    }

    public async Task ObserveAsync(SubjectKind kind, string name, SubjectStatus status, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (!_subjects.TryGetValue((kind, name), out var tracked))
        {
            if (status.Down)
            {
                return; // Not in service yet: nothing to be unavailable from.
            }

            await _store.AddAvailabilitySubjectAsync(kind, name, now, cancellationToken).ConfigureAwait(false);
            _subjects[(kind, name)] = new Tracked();
            return;
        }

        if (tracked.Status == status)
        {
            return;
        }

        if (tracked.OpenId is { } open)
        {
            await _store.CloseDowntimeAsync(open, now, cancellationToken).ConfigureAwait(false);
            tracked.OpenId = null;
        }

        // Up until the new interval is stored: if the store fails, the next observation tries to open it again.
        tracked.Status = SubjectStatus.Up;
        if (status.Down)
        {
            tracked.OpenId = await _store.OpenDowntimeAsync(new DowntimeRecord(0, kind, name, status.Scheduled, status.Cause, now, null), cancellationToken).ConfigureAwait(false);
        }

        tracked.Status = status;
    }

    /// <summary>Ends the open intervals now (this controller stops observing: stepping down or stopping).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        foreach (var tracked in _subjects.Values)
        {
            if (tracked.OpenId is { } open)
            {
                await _store.CloseDowntimeAsync(open, now, cancellationToken).ConfigureAwait(false);
                tracked.OpenId = null;
                tracked.Status = SubjectStatus.Up;
            }
        }
    }

    private sealed class Tracked
    {
        public long? OpenId { get; set; }

        public SubjectStatus Status { get; set; } = SubjectStatus.Up;
    }
}
