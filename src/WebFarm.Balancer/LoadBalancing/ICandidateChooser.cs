using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.LoadBalancing;

/// <summary>
/// Applies a farm's policy to the candidates of one request (with its request, or without for a
/// <see cref="IRequestIndependentPolicy"/>). A struct implements it, so choosing makes no delegate or box.
/// </summary>
internal interface ICandidateChooser
{
    ServerRuntime? Choose(ReadOnlySpan<ServerRuntime> candidates);
}
