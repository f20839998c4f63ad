namespace WebFarm.Balancer.Dashboard;

/// <summary>What a server (or farm) was at a moment: taking traffic, out by an operator's decision, or out by a failure.</summary>
public enum AvailabilityStatus
{
    Up,

    /// <summary>Drained or offline by an operator (or the controller): planned, not counted against availability.</summary>
    Scheduled,

    /// <summary>Failed its health checks (or its process died) while it was meant to be online.</summary>
    Unscheduled,
}
