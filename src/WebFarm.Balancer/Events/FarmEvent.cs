namespace WebFarm.Balancer.Events;

/// <summary>One event in the farm's single event stream: (time, farm, server, kind, message).</summary>
/// <param name="Sequence">Monotonic, starting at 1; clients resume with ?since=Sequence.</param>
public sealed record FarmEvent(long Sequence, DateTimeOffset Time, string? Farm, string? Server, EventKind Kind, string Message);
