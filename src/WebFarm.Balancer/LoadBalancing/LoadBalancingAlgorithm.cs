namespace WebFarm.Balancer.LoadBalancing;

/// <summary>How a farm picks a server for a request that is not bound to one by affinity.</summary>
public enum LoadBalancingAlgorithm
{
    /// <summary>Smooth weighted round robin (nginx style): weights are honoured and picks are interleaved.</summary>
    RoundRobin,

    /// <summary>Fewest in-flight requests relative to weight (ARR's "least current request").</summary>
    LeastRequests,

    /// <summary>Lowest moving-average response time, scaled by in-flight requests and weight.</summary>
    LeastResponseTime,

    /// <summary>Weighted random.</summary>
    Random,

    /// <summary>Two weighted random picks; the less loaded of the two wins.</summary>
    PowerOfTwoChoices,

    /// <summary>Consistent hash of the client's IP address (NLB "Single" affinity).</summary>
    ClientIp,

    /// <summary>Consistent hash of the client's network: IPv4 /24, IPv6 /64 (NLB "Class C").</summary>
    ClientNetwork,

    /// <summary>Consistent hash of a header, cookie, the path or a query parameter (see <see cref="HashKeySpec"/>).</summary>
    Hash,

    /// <summary>The first candidate in configuration order (priority / active-passive).</summary>
    First,
}
