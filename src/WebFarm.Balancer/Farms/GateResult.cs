namespace WebFarm.Balancer.Farms;

internal enum GateResult
{
    Entered,
    QueueFull,
    TimedOut,
    Canceled,
}
