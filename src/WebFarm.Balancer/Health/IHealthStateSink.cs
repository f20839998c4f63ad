using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Health;

/// <summary>
/// Where health verdicts go. Checks call it on transitions only (healthy → unhealthy and back), never per probe,
/// so the implementation may raise events ("failed", "rejoined") without flooding the stream.
/// The runtime implements it on top of BalancerRuntime.SetHealth.
/// </summary>
public interface IHealthStateSink
{
    void SetHealth(ServerRuntime server, bool healthy, string reason);
}
