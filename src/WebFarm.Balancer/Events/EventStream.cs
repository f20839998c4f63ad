namespace WebFarm.Balancer.Events;

// STUB: the events helper replaces this file, keeping these public members.
public sealed class EventStream
{
    public FarmEvent Publish(string? farm, string? server, EventKind kind, string message)
        => new(0, DateTimeOffset.UtcNow, farm, server, kind, message);
}
