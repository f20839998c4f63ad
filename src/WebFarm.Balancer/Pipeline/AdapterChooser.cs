using WebFarm.Balancer.Farms;
using WebFarm.Balancer.LoadBalancing;

namespace WebFarm.Balancer.Pipeline;

/// <summary>The farm's policy, applied to the request as its client adapter presents it.</summary>
internal readonly struct AdapterChooser<TClient>(TClient client, ILoadBalancingPolicy policy) : ICandidateChooser
    where TClient : IChoosingClient
{
    public ServerRuntime? Choose(ReadOnlySpan<ServerRuntime> candidates) => client.Choose(policy, candidates);
}
