using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Forwarding;
using WebFarm.Balancer.Routing;

namespace WebFarm.Balancer.Farms;

/// <summary>One applied configuration: farms, compiled routes and forwarding settings. Replaced, never mutated.</summary>
internal sealed record RuntimeSnapshot(
    BalancerConfig Config,
    IReadOnlyDictionary<string, FarmRuntime> Farms,
    RouteTable Routes,
    TrustedProxies TrustedProxies);
