namespace WebFarm.Controller.Availability;

/// <summary>One subject's figures in GET /api/availability (durations in seconds, the kind in lower case).</summary>
public sealed record SubjectAvailabilityResult(
    string Kind,
    string Name,
    DateTimeOffset From,
    DateTimeOffset To,
    double AvailabilityPercent,
    double UnscheduledAvailabilityPercent,
    double? Nines,
    double ScheduledDowntimeSeconds,
    double UnscheduledDowntimeSeconds,
    int Outages);
