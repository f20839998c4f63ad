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
}
