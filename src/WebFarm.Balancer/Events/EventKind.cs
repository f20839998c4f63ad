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

    /// <summary>The controller: an app was added (`webfarm apps add`); its farm exists from now on.</summary>
    AppAdded,

    /// <summary>The controller: an app was removed; its farm is gone and its agents stop its instances.</summary>
    AppRemoved,

    /// <summary>An https listener's certificate folder changed and its new or changed certificates are in use for new handshakes.</summary>
    CertificatesReloaded,

    /// <summary>A certificate in an https listener's folder could not be used at a rescan; the listener keeps what it had.</summary>
    CertificateRejected,

    /// <summary>The controller: a deployment (or a rollback) of an app's release started.</summary>
    DeployStarted,

    /// <summary>The controller: a server of a deployment entered a new phase.</summary>
    ServerUpdated,

    /// <summary>The controller: a deployment ended with every server on the new release.</summary>
    DeployFinished,

    /// <summary>The controller: a deployment failed (the server, the phase and the reason).</summary>
    DeployFailed,

    /// <summary>The controller: a failed deployment returned its servers to the previous release (--auto-rollback).</summary>
    RolledBack,

    /// <summary>
    /// Not a farm event: a marker a subscriber receives in place of events it was too slow to take
    /// (its Sequence is the last one lost, so reading on from it stays gap-free).
    /// </summary>
    EventsLost,
}
