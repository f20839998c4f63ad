namespace WebFarm.Balancer.Dashboard;

/// <summary>
/// Which product serves a dashboard: the balancer's admin listener or the controller's API listener share the frame,
/// the login, the assets and the access rules; they differ in their pages (the navigation) and in what the login form
/// names ("this balancer's admin token", "this controller's token").
/// </summary>
/// <param name="Product">"balancer" or "controller", as the login form names it.</param>
/// <param name="TokenSource">Where the operator finds the token, for the login form.</param>
internal sealed record DashboardSite(string Product, string TokenSource, IReadOnlyList<DashboardLink> Nav)
{
    public static readonly DashboardSite Balancer = new(
        "balancer",
        "Admin.Token or Admin.TokenFile in the configuration",
        [new("/dashboard/", "Overview", "overview"), new("/dashboard/events", "Events", "events"), new("/dashboard/availability", "Availability", "availability")]);
}
