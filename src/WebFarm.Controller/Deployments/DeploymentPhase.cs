namespace WebFarm.Controller.Deployments;

/// <summary>A server's phases in a deployment, in the order the rolling strategy goes through them, as the API spells them.</summary>
public static class DeploymentPhase
{
    /// <summary>Its batch has not started.</summary>
    public const string Waiting = "waiting";

    /// <summary>Waiting for its agent to report the release installed.</summary>
    public const string Installing = "installing";

    /// <summary>The new release's instance is starting beside the old one (in-place: after the old one stopped).</summary>
    public const string Starting = "starting";

    /// <summary>The health gate: the app's health path must pass several times in a row.</summary>
    public const string Gating = "gating";

    /// <summary>The new instance is in the balancer; the old one is draining.</summary>
    public const string Draining = "draining";

    /// <summary>The old instance is being stopped (SIGTERM, SIGKILL after the grace period).</summary>
    public const string Stopping = "stopping";

    /// <summary>The new instance takes the server's own entry in the farm.</summary>
    public const string Swapping = "swapping";

    public const string Done = "done";
    public const string Failed = "failed";

    /// <summary>A first deployment's server whose instance runs but did not pass its gate: out of rotation, supervised;
    /// the balancer's health checks bring it in once it passes.</summary>
    public const string NotReady = "not-ready";

    /// <summary>A stage's server: its staged instance passed the gate and is in the stage's farm (out of rotation).</summary>
    public const string Staged = "staged";

    /// <summary>Returned to the previous release (its batch failed, or --auto-rollback).</summary>
    public const string RolledBack = "rolled-back";
}
