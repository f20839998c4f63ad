namespace WebFarm.Controller.Deployments;

/// <summary>
/// One deployment as the API, the store and the CLI see it (an immutable snapshot; the engine publishes a new one at
/// every phase change). `GET /api/deployments/{id}` answers exactly this shape (camelCase), which the dashboard reads.
/// </summary>
/// <param name="Id">Numbered by the store, across apps.</param>
/// <param name="App">The app.</param>
/// <param name="Release">The release it rolls out (for a rollback: the release it returns to).</param>
/// <param name="PreviousRelease">The release the app ran before (null for its first deployment).</param>
/// <param name="Strategy"><c>rolling</c> or <c>in-place</c>.</param>
/// <param name="State"><see cref="DeploymentState"/>: running, succeeded, failed, rolled-back; for a stage staged, unstaged, promoted.</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="FinishedAt">When it ended (null while running).</param>
/// <param name="Error">Why it failed: the server, the phase and the reason.</param>
/// <param name="Servers">Each server of the app, in the order they are rolled.</param>
public sealed record DeploymentRecord(
    long Id,
    string App,
    long Release,
    long? PreviousRelease,
    string Strategy,
    string State,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    string? Error,
    IReadOnlyList<DeploymentServer> Servers)
{
    /// <summary><c>deploy</c> (`webfarm deploy`), <c>rollback</c> (`webfarm rollback`), <c>stage</c> (`webfarm deploy --stage`) or <c>promote</c> (`webfarm promote`).</summary>
    public string Kind { get; init; } = DeploymentKind.Deploy;

    /// <summary>Servers per batch.</summary>
    public int Batch { get; init; } = 1;

    /// <summary>Whether a failed batch returns the servers already done (--auto-rollback).</summary>
    public bool AutoRollback { get; init; }

    /// <summary>A stage's path prefix (`--stage-path /v2`), null without one or for the other kinds.</summary>
    public string? StagePath { get; init; }

    /// <summary>How long a new instance has to start and pass its health gate (kept so that a new leader can resume the
    /// deployment with the operator's options; null in records written before it was kept: the default then).</summary>
    public TimeSpan? HealthTimeout { get; init; }

    /// <summary>How long a drained instance's requests may take to finish before it is stopped (`--drain-timeout`; null
    /// in records written before it was kept, and for a stage: the controller's default then).</summary>
    public TimeSpan? DrainTimeout { get; init; }

    /// <summary>The health gate's passes in a row (`--health-passes`; null in records written before it was kept: the
    /// controller's default then).</summary>
    public int? HealthPasses { get; init; }
}
