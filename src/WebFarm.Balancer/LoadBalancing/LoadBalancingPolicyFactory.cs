namespace WebFarm.Balancer.LoadBalancing;

/// <summary>Creates the policy for a farm's "LoadBalancing" and "HashKey" settings.</summary>
public static class LoadBalancingPolicyFactory
{
    /// <param name="hashKey">Required for <see cref="LoadBalancingAlgorithm.Hash"/> (see <see cref="HashKeySpec"/>); ignored otherwise.</param>
    /// <exception cref="ArgumentException">Hash without a valid key, or an unknown algorithm.</exception>
    public static ILoadBalancingPolicy Create(LoadBalancingAlgorithm algorithm, string? hashKey) => algorithm switch
    {
        LoadBalancingAlgorithm.RoundRobin => new RoundRobinPolicy(),
        LoadBalancingAlgorithm.LeastRequests => new LeastRequestsPolicy(),
        LoadBalancingAlgorithm.LeastResponseTime => new LeastResponseTimePolicy(),
        LoadBalancingAlgorithm.Random => new RandomPolicy(),
        LoadBalancingAlgorithm.PowerOfTwoChoices => new PowerOfTwoChoicesPolicy(),
        LoadBalancingAlgorithm.ClientIp => new ClientIpPolicy(),
        LoadBalancingAlgorithm.ClientNetwork => new ClientNetworkPolicy(),
        LoadBalancingAlgorithm.Hash => new HashPolicy(ParseHashKey(hashKey)),
        LoadBalancingAlgorithm.First => new FirstPolicy(),
        _ => throw new ArgumentException($"Unknown load balancing algorithm '{algorithm}'.", nameof(algorithm)),
    };

    private static HashKeySpec ParseHashKey(string? hashKey)
    {
        if (hashKey is null)
        {
            throw new ArgumentException(
                "The Hash load balancing algorithm needs a HashKey (\"header:NAME\", \"cookie:NAME\", \"path\" or \"query:NAME\").",
                nameof(hashKey));
        }

        return HashKeySpec.TryParse(hashKey, out var spec, out var error)
            ? spec
            : throw new ArgumentException($"Invalid HashKey: {error}", nameof(hashKey));
    }
}
