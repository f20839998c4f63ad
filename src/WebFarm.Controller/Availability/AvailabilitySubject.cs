namespace WebFarm.Controller.Availability;

/// <summary>A server, app or the farm as availability tracks it: its period starts when it was first seen in service.</summary>
public sealed record AvailabilitySubject(SubjectKind Kind, string Name, DateTimeOffset FirstSeen);
