namespace WebFarm.Balancer.Dashboard;

/// <summary>Where the dashboard is on an admin listener: what `webfarm balancer` and `webfarm up` print at start.</summary>
public static class DashboardAddress
{
    public const string Path = "/dashboard/";

    public static Uri Of(Uri adminBase)
    {
        ArgumentNullException.ThrowIfNull(adminBase);
        return new Uri(adminBase, Path);
    }
}
