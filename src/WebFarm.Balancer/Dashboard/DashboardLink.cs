namespace WebFarm.Balancer.Dashboard;

/// <summary>One entry of the dashboard's navigation: where it goes, its text, and the page id it marks current.</summary>
internal sealed record DashboardLink(string Href, string Text, string Page);
