using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Affinity;

/// <summary>The outcome of an affinity lookup.</summary>
/// <param name="Outcome">What the forwarder should do.</param>
/// <param name="Server">The bound server when <paramref name="Outcome"/> is <see cref="AffinityOutcome.Bound"/>,
/// the previously bound (now unusable) server when it is Redistribute or Reject.</param>
public readonly record struct AffinityLookup(AffinityOutcome Outcome, ServerRuntime? Server)
{
    public static AffinityLookup Unbound => default;
}
