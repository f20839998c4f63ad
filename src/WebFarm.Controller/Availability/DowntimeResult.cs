namespace WebFarm.Controller.Availability;

/// <summary>One period of downtime in GET /api/availability; <paramref name="Seconds"/> runs to now while it lasts.</summary>
public sealed record DowntimeResult(string Kind, string Subject, bool Scheduled, string Cause, DateTimeOffset Started, DateTimeOffset? Ended, double Seconds);
