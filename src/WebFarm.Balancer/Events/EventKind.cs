namespace WebFarm.Balancer.Events;

/// <summary>
/// What happened, in Application Center's vocabulary. Serialized as kebab-case ("finished-draining").
/// Other roles (controller, agent) add their kinds here so that there is one stream with one shape.
/// </summary>
public enum EventKind
{
    GoingOffline,
    Draining,
    FinishedDraining,
    Offline,
    GoingOnline,
    Online,
    ConfigReloaded,
    ConfigRejected,
    ServerAdded,
    ServerRemoved,
    WeightChanged,
    Failed,
    Rejoined,
    PanicEntered,
    PanicLeft,
    AffinityRedistributed,
}
