namespace WebFarm.Controller.Availability;

/// <summary>GET /api/availability's answer: the period, the figures per subject and the downtime in it.</summary>
public sealed record AvailabilityResult(DateTimeOffset From, DateTimeOffset To, IReadOnlyList<SubjectAvailabilityResult> Subjects, IReadOnlyList<DowntimeResult> Downtime);
