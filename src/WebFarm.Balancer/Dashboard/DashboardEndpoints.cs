using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using WebFarm.Balancer.Admin;
using WebFarm.Balancer.Farms;

using static WebFarm.Balancer.Dashboard.DashboardResponses;

namespace WebFarm.Balancer.Dashboard;

/// <summary>
/// The dashboard on the admin listener: pages under /dashboard/, their fragments and live cells, the login form and
/// the embedded assets. Access (login cookie, CSRF token) is decided before routing by <see cref="AdminAccess"/>;
/// actions go to the admin API itself as /dashboard/api/..., so a button does exactly what the API and the CLI do.
/// </summary>
internal static class DashboardEndpoints
{
    public static void Map(WebApplication app, BalancerRuntime runtime, AdminAccess access, MetricsHistory history, DateTimeOffset startedAt)
    {
        var site = DashboardSite.Balancer;
        DashboardShellEndpoints.Map(app, access, site);
        app.MapGet("/dashboard/", context => WritePage(context, access, site, "Overview", "overview", DashboardPages.Overview(runtime, history), Live(runtime.Events)));
        app.MapGet("/dashboard/farms/{farm}/servers/{server}", context =>
        {
            var server = runtime.GetServer(Route(context, "farm"), Route(context, "server"));
            return WritePage(context, access, site, $"{server.Name} ({server.Farm})", "server", DashboardPages.Server(runtime, server, history), Live(runtime.Events));
        });
        app.MapGet("/dashboard/events", context => WritePage(context, access, site, "Events", "events", DashboardPages.Events(runtime), Live(runtime.Events)));
        app.MapGet("/dashboard/availability", context =>
        {
            var period = Period(context, out _);
            return WritePage(context, access, site, "Availability", "availability", DashboardPages.Availability(period));
        });

        app.MapGet("/dashboard/data/cells", context => WriteCells(context, DashboardCells.Structure(runtime), DashboardCells.All(runtime, history)));
        app.MapGet("/dashboard/fragments/farms", context => WriteFragment(context, DashboardFragments.Farms(runtime, history), DashboardCells.Structure(runtime)));
        app.MapGet("/dashboard/fragments/farms/{farm}/charts", context =>
            WriteFragment(context, DashboardFragments.FarmCharts(runtime.GetFarm(Route(context, "farm")), history)));
        app.MapGet("/dashboard/fragments/farms/{farm}/servers/{server}/{part}", context =>
        {
            var server = runtime.GetServer(Route(context, "farm"), Route(context, "server"));
            return Route(context, "part") switch
            {
                "health" => WriteFragment(context, DashboardFragments.HealthChecks(server)),
                "latency" => WriteFragment(context, DashboardFragments.Latency(server)),
                "charts" => WriteFragment(context, DashboardFragments.ServerCharts(server, history)),
                var part => AdminHttp.WriteError(context, StatusCodes.Status404NotFound, $"no dashboard fragment '{part}' (health, latency, charts)"),
            };
        });
        app.MapGet("/dashboard/fragments/availability", context =>
        {
            var periodName = Period(context, out var period);
            var to = DateTimeOffset.UtcNow;
            var events = runtime.Events.Since(0);
            var from = to - period;
            if (from < startedAt)
            {
                from = startedAt;
            }

            // Events the ring no longer holds cannot be replayed: observe only from the oldest one kept.
            if (events.Count > 0 && events[0].Sequence > 1 && events[0].Time > from)
            {
                from = events[0].Time;
            }

            var reports = AvailabilityCalculator.Compute(runtime, events, from, to);
            return WriteFragment(context, DashboardFragments.Availability(reports, from, to, periodName));
        });
    }
}
