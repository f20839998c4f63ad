namespace WebFarm.Controller.Availability;

/// <summary>
/// One subject's availability over [<paramref name="From"/>, <paramref name="To"/>]: seed 003's
/// availability = 100 − downtime / period × 100, with all downtime and with unscheduled downtime only.
/// </summary>
/// <param name="Nines">−log10 of the unavailable fraction, rounded down to a tenth (99.95 % → 3.3); null with no downtime.</param>
public sealed record SubjectAvailability(
    SubjectKind Kind,
    string Name,
    DateTimeOffset From,
    DateTimeOffset To,
    TimeSpan ScheduledDowntime,
    TimeSpan UnscheduledDowntime,
    int Outages,
    double AvailabilityPercent,
    double UnscheduledAvailabilityPercent,
    double? Nines);
