namespace WebFarm.Balancer.Statistics;

// STUB: the statistics helper replaces this file.
public sealed class BalancerMetrics
{
    public const string MeterName = "WebFarm.Balancer";
}
