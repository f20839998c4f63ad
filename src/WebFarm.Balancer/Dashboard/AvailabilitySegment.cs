namespace WebFarm.Balancer.Dashboard;

/// <summary>A stretch of one status on a timeline.</summary>
public readonly record struct AvailabilitySegment(DateTimeOffset Start, DateTimeOffset End, AvailabilityStatus Status)
{
    public TimeSpan Duration => End - Start;
}
