namespace WebFarm.Balancer.Dashboard;

/// <summary>A browser's dashboard login: the cookie's id, the CSRF token its pages carry, and when it ends.</summary>
internal sealed record DashboardSession(string Id, string CsrfToken, DateTimeOffset Expires);
