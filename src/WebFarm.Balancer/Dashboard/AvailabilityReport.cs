namespace WebFarm.Balancer.Dashboard;

/// <summary>
/// A server's or farm's availability over the observed part of a period. <see cref="Availability"/> leaves
/// scheduled downtime out (up / (observed - scheduled)), the way service levels are usually written; 1 when the
/// whole period was scheduled downtime.
/// </summary>
public sealed record AvailabilityReport(string Farm, string? Server, IReadOnlyList<AvailabilitySegment> Segments)
{
    public TimeSpan Up => Total(AvailabilityStatus.Up);

    public TimeSpan Scheduled => Total(AvailabilityStatus.Scheduled);

    public TimeSpan Unscheduled => Total(AvailabilityStatus.Unscheduled);

    public double Availability
    {
        get
        {
            var counted = Up + Unscheduled;
            return counted <= TimeSpan.Zero ? 1 : Up / counted;
        }
    }

    /// <summary>-log10(1 - availability): 99.9% is 3 nines; null for 100% (no unscheduled downtime: unbounded).</summary>
    public double? Nines => Availability >= 1 ? null : -Math.Log10(1 - Availability);

    private TimeSpan Total(AvailabilityStatus status)
    {
        var total = TimeSpan.Zero;
        foreach (var segment in Segments)
        {
            if (segment.Status == status)
            {
                total += segment.Duration;
            }
        }

        return total;
    }
}
