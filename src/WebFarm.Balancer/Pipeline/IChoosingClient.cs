using WebFarm.Balancer.Affinity;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.LoadBalancing;

namespace WebFarm.Balancer.Pipeline;

/// <summary>
/// What <see cref="ChooseStage"/> needs from a client: its affinity facts and the farm's policy applied to it. An HTTP
/// request (<see cref="IClientAdapter"/>) and a TCP connection (<see cref="Tcp.TcpSession"/>) are both chosen for by
/// the one stage.
/// </summary>
internal interface IChoosingClient : IAffinityClient
{
    /// <summary>The farm's policy applied to this client (request-independent policies ignore it).</summary>
    ServerRuntime? Choose(ILoadBalancingPolicy policy, ReadOnlySpan<ServerRuntime> candidates);
}
