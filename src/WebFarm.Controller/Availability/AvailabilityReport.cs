namespace WebFarm.Controller.Availability;

/// <summary>
/// Availability per subject (the farm, each app, each server) from the recorded downtime, and the downtime list, over
/// the period from <see cref="From"/> to <see cref="To"/>. Pure arithmetic: the caller passes "now".
/// </summary>
public sealed record AvailabilityReport(DateTimeOffset From, DateTimeOffset To, IReadOnlyList<SubjectAvailability> Subjects, IReadOnlyList<DowntimeRecord> Downtime)
{
    /// <summary>
    /// Each subject's period runs from <paramref name="since"/> or, when later, from when it was first seen in service,
    /// to <paramref name="now"/>; an interval still open counts up to <paramref name="now"/>. Intervals are clipped to
    /// the period. Subjects are ordered farm, apps, servers, each by name.
    /// </summary>
    public static AvailabilityReport Compute(IReadOnlyList<AvailabilitySubject> subjects, IReadOnlyList<DowntimeRecord> downtime, DateTimeOffset since, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(subjects);
        ArgumentNullException.ThrowIfNull(downtime);
        var figures = new List<SubjectAvailability>(subjects.Count);
        var listed = new List<DowntimeRecord>();
        foreach (var subject in subjects.OrderBy(s => s.Kind == SubjectKind.Farm ? 0 : s.Kind == SubjectKind.App ? 1 : 2).ThenBy(s => s.Name, StringComparer.Ordinal))
        {
            var from = subject.FirstSeen > since ? subject.FirstSeen : since;
            var to = now > from ? now : from;
            var scheduled = TimeSpan.Zero;
            var unscheduled = TimeSpan.Zero;
            var outages = 0;
            foreach (var record in downtime)
            {
                if (record.Kind != subject.Kind || !string.Equals(record.Subject, subject.Name, StringComparison.Ordinal))
                {
                    continue;
                }

                var start = record.Started > from ? record.Started : from;
                var end = record.Ended is { } ended && ended < to ? ended : to;
                if (end <= start)
                {
                    continue;
                }

                outages++;
                listed.Add(record);
                if (record.Scheduled)
                {
                    scheduled += end - start;
                }
                else
                {
                    unscheduled += end - start;
                }
            }

            var period = to - from;
            figures.Add(new SubjectAvailability(
                subject.Kind,
                subject.Name,
                from,
                to,
                scheduled,
                unscheduled,
                outages,
                Percent(scheduled + unscheduled, period),
                Percent(unscheduled, period),
                Nines(scheduled + unscheduled, period)));
        }

        listed.Sort((a, b) => a.Started != b.Started ? a.Started.CompareTo(b.Started) : a.Id.CompareTo(b.Id));
        return new AvailabilityReport(since, now, figures, listed);
    }

    private static double Percent(TimeSpan down, TimeSpan period)
        => period <= TimeSpan.Zero ? 100 : 100 - (down.TotalMilliseconds / period.TotalMilliseconds * 100);

    private static double? Nines(TimeSpan down, TimeSpan period)
    {
        if (down <= TimeSpan.Zero || period <= TimeSpan.Zero)
        {
            return null;
        }

        // The small epsilon keeps exact decades exact: 99.9 % is 3.0 nines, not 2.9 from -log10's last bit.
        var nines = -Math.Log10(down.TotalMilliseconds / period.TotalMilliseconds);
        return Math.Max(0, Math.Floor((nines * 10) + 1e-9) / 10);
    }
}
