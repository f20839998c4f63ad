namespace WebFarm.Controller.Deployments;

/// <summary>What started a deployment, and the strategies it can use, as the API spells them.</summary>
public static class DeploymentKind
{
    public const string Deploy = "deploy";
    public const string Rollback = "rollback";

    /// <summary>`webfarm deploy --stage`: started beside the live release, reached only with the header or the stage path.</summary>
    public const string Stage = "stage";

    /// <summary>`webfarm promote`: the staged release rolled out (its running instances become the serving ones).</summary>
    public const string Promote = "promote";

    /// <summary>New instance beside the old, health gate, swap in the balancer, drain and stop the old.</summary>
    public const string Rolling = "rolling";

    /// <summary>For apps that cannot run twice on one machine: drain, stop, switch, start, health gate, back online.</summary>
    public const string InPlace = "in-place";
}
