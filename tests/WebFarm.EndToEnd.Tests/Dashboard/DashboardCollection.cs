namespace WebFarm.EndToEnd.Tests.Dashboard;

/// <summary>The dashboard's browser tests share one chromium and run one at a time (2 cores, other helpers' builds).</summary>
[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardBrowser>
{
    public const string Name = "Dashboard";
}
