namespace WebFarm.Controller.Deployments;

/// <summary>A deployment's states, as the API spells them.</summary>
public static class DeploymentState
{
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string RolledBack = "rolled-back";

    /// <summary>
    /// A first deployment (no release of the app ran anywhere before: nothing to protect) that reached every server, but
    /// some servers' instances did not pass their gate: those stay out of rotation with their instance supervised and
    /// join once their check passes (<see cref="DeploymentPhase.NotReady"/>). The release is the app's current one.
    /// </summary>
    public const string Partial = "partial";

    /// <summary>A stage whose instances all passed their gate: reached with the header or the stage path.</summary>
    public const string Staged = "staged";

    /// <summary>A stage removed (`webfarm unstage`, replaced by another stage, a deployment, a controller restart): its instances stopped.</summary>
    public const string Unstaged = "unstaged";

    /// <summary>A stage `webfarm promote` rolled out (the promote's own deployment says how that went).</summary>
    public const string Promoted = "promoted";
}
