namespace WebFarm.Controller.Deployments;

/// <summary>What an operator asked for: `webfarm deploy` (after the upload) or `webfarm rollback`.</summary>
/// <param name="App">The app (one that runs its releases).</param>
/// <param name="Release">The release to roll out.</param>
/// <param name="Strategy"><see cref="DeploymentKind.Rolling"/> or <see cref="DeploymentKind.InPlace"/>.</param>
/// <param name="Batch">Servers per batch.</param>
/// <param name="HealthTimeout">How long a new instance has to start and pass its health gate.</param>
/// <param name="AutoRollback">Whether a failed batch also returns the servers already done.</param>
/// <param name="Kind"><see cref="DeploymentKind.Deploy"/> or <see cref="DeploymentKind.Rollback"/>.</param>
public sealed record DeploymentRequest(string App, long Release, string Strategy, BatchSize Batch, TimeSpan HealthTimeout, bool AutoRollback, string Kind)
{
    /// <summary>A stage's path prefix ("/v2"; <see cref="DeploymentKind.Stage"/> only).</summary>
    public string? StagePath { get; init; }

    /// <summary>How long a drained instance's requests may take to finish before it is stopped (`--drain-timeout`); null: the controller's default (30 s).</summary>
    public TimeSpan? DrainTimeout { get; init; }

    /// <summary>The health gate: passes in a row of the app's health path (`--health-passes`); null: the controller's default (3).</summary>
    public int? HealthPasses { get; init; }

    /// <summary>
    /// How long a new instance that answers may keep failing its gate before the gate gives up on it (null: until the
    /// health timeout). `webfarm up` sets 5 s, as its own start-up wait always said "unhealthy" after 5 s, while an app
    /// that has not answered yet keeps the whole health timeout to start. Not persisted: a resumed deployment gates
    /// with the health timeout alone.
    /// </summary>
    public TimeSpan? FailingGrace { get; init; }
}
