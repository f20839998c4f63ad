namespace WebFarm.Controller.Rotation;

/// <summary>An external `webfarm balancer` the controller drives: its admin API URL and bearer token (`--balancer`, `--balancer-token`).</summary>
public sealed record BalancerEndpoint(Uri AdminUrl, string? Token)
{
    /// <summary>The URL as operators wrote it (no trailing '/'), for messages and the API.</summary>
    public string Display => AdminUrl.AbsoluteUri.TrimEnd('/');
}
