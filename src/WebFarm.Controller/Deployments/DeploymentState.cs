namespace WebFarm.Controller.Deployments;

/// <summary>A deployment's states, as the API spells them.</summary>
public static class DeploymentState
{
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string RolledBack = "rolled-back";
}
