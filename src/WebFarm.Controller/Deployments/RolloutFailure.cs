namespace WebFarm.Controller.Deployments;

/// <summary>A server's rollout failed in a phase: the deployment stops and reports the reason (and the app's last output).</summary>
public sealed class RolloutFailure(string phase, string message) : Exception(message)
{
    /// <summary>The <see cref="DeploymentPhase"/> it failed in.</summary>
    public string Phase { get; } = phase;
}
