namespace WebFarm.Controller.Availability;

/// <summary>
/// One interval in which a subject was down. <paramref name="Scheduled"/>: an operator's drain, offline, restart or
/// deploy; otherwise unscheduled (failed health, lost agent, crash). <paramref name="Ended"/> is null while it lasts.
/// </summary>
public sealed record DowntimeRecord(long Id, SubjectKind Kind, string Subject, bool Scheduled, string Cause, DateTimeOffset Started, DateTimeOffset? Ended);
