namespace WebFarm.Controller.Load;

/// <summary>
/// The arithmetic of load-driven weights (an app with `loadBalancing: reported`), pure so it is tested alone. Each
/// server of the app's farm gets a cost from what is measured about it:
/// <c>cost = (latency + 5 ms) × (1 + max(0, cpu − 75) / 25)</c>, where latency is the balancer's own moving average
/// of the server's response times (every proxied request; what clients wait for) and cpu the server's CPU % its agent
/// reports. The cheapest server's target factor is 1, every other's is <c>cheapest / cost</c>, never below
/// <see cref="Floor"/>; the factor the balancer uses moves a <see cref="Smoothing"/> share of the way to its target
/// each second. Why each constant:
/// <list type="bullet">
/// <item><description>+5 ms: response times of a few milliseconds differ by noise (1 ms vs 2 ms is no reason to halve a
/// weight); a real difference (50 ms vs 100 ms) still shows almost whole.</description></item>
/// <item><description>CPU above 75 %: a busy machine answers as fast as an idle one until it saturates, so CPU only
/// counts near saturation, up to doubling the cost at 100 % (it warns before latency climbs).</description></item>
/// <item><description><see cref="Floor"/> 0.1: load alone never takes a server out (that is health's job), and a
/// server keeps a tenth of its share so its latency keeps being measured and its recovery seen.</description></item>
/// <item><description><see cref="Smoothing"/> 0.3 per second (a time constant of about 3 s): latency falls when a
/// server gets less traffic; moving all the way at once would swing the weight back and forth.</description></item>
/// </list>
/// </summary>
public static class LoadWeightRule
{
    public const double Floor = 0.1;

    public const double Smoothing = 0.3;

    public const double LatencySlackMs = 5;

    public const double CpuKnee = 75;

    /// <summary>Changes smaller than this are not written: the factor settles instead of creeping by thousandths.</summary>
    public const double Deadband = 0.01;

    /// <summary>The cost of a server with <paramref name="latencyMs"/> response time on a machine at <paramref name="cpuPercent"/>.</summary>
    public static double Cost(double latencyMs, double cpuPercent)
    {
        var cpu = Math.Clamp(double.IsFinite(cpuPercent) ? cpuPercent : 0, 0, 100);
        var latency = double.IsFinite(latencyMs) ? Math.Max(0, latencyMs) : 0;
        return (latency + LatencySlackMs) * (1 + (Math.Max(0, cpu - CpuKnee) / (100 - CpuKnee)));
    }

    /// <summary>The factor a server of cost <paramref name="cost"/> should have when the cheapest costs <paramref name="lowest"/>.</summary>
    public static double Target(double cost, double lowest) => Math.Clamp(lowest / cost, Floor, 1);

    /// <summary>One smoothing step from <paramref name="current"/> toward <paramref name="target"/>.</summary>
    public static double Step(double current, double target) => Math.Clamp(current + (Smoothing * (target - current)), Floor, 1);
}
