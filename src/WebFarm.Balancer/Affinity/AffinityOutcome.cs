namespace WebFarm.Balancer.Affinity;

public enum AffinityOutcome
{
    /// <summary>No (valid) binding: choose with the policy, then bind.</summary>
    Unbound = 0,

    /// <summary>Send to the bound server (Online, or Draining within its drain timeout).</summary>
    Bound = 1,

    /// <summary>The bound server cannot take it: choose another, rebind, raise an "affinity redistributed" event.</summary>
    Redistribute = 2,

    /// <summary>The bound server cannot take it and the farm says fail: answer 503.</summary>
    Reject = 3,
}
