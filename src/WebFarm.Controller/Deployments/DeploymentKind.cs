namespace WebFarm.Controller.Deployments;

/// <summary>What started a deployment, and the strategies it can use, as the API spells them.</summary>
public static class DeploymentKind
{
    public const string Deploy = "deploy";
    public const string Rollback = "rollback";

    /// <summary>New instance beside the old, health gate, swap in the balancer, drain and stop the old.</summary>
    public const string Rolling = "rolling";

    /// <summary>For apps that cannot run twice on one machine: drain, stop, switch, start, health gate, back online.</summary>
    public const string InPlace = "in-place";
}
