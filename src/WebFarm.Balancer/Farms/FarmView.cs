using WebFarm.Balancer.Affinity;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Forwarding;
using WebFarm.Balancer.Health;
using WebFarm.Balancer.LoadBalancing;

namespace WebFarm.Balancer.Farms;

/// <summary>
/// Everything a request needs from its farm, read once per request: replaced as a whole (never mutated)
/// when the config reloads or a server is added or removed, so a request sees one consistent farm.
/// </summary>
internal sealed record FarmView(
    FarmOptions Options,
    ServerRuntime[] Servers,
    ILoadBalancingPolicy Policy,
    FarmTransport Transport,
    IAffinityProvider? Affinity,
    IPassiveHealthObserver? PassiveHealth)
{
    /// <summary>
    /// Every server has a cleartext http:// address, the only scheme the direct path speaks. Worked out once per view
    /// (a changed address or a new server always makes a new view), not per request.
    /// </summary>
    public bool AllServersCleartext { get; } = AllCleartext(Servers);

    private static bool AllCleartext(ServerRuntime[] servers)
    {
        foreach (var server in servers)
        {
            if (server.Address.Scheme != Uri.UriSchemeHttp)
            {
                return false;
            }
        }

        return true;
    }
}
