using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using WebFarm.Balancer.Admin;
using WebFarm.Balancer.Dashboard;
using WebFarm.Controller.Api;
using WebFarm.Controller.Availability;
using WebFarm.Controller.Hosting;
using static WebFarm.Balancer.Dashboard.DashboardResponses;
using AvailabilityReport = WebFarm.Controller.Availability.AvailabilityReport;

namespace WebFarm.Controller.Dashboard;

/// <summary>
/// The controller's dashboard on its API listener: the balancer dashboard's frame, login, assets, script and access
/// rules (<see cref="DashboardShellEndpoints"/>, <see cref="AdminAccess"/>) with the farm-wide pages: overview
/// (servers, their agents and load, app instances, apps), a server with its actions in every farm it is in, events,
/// the merged trace, availability from the controller's records, deployments. Actions and live data go to the
/// controller's API itself as /dashboard/api/..., so a button does what `webfarm servers --controller` does.
/// </summary>
internal static class ControllerDashboard
{
    public static void Map(WebApplication app, ControllerHost host, AdminAccess access)
    {
        var site = FarmPages.Site;
        var rotation = host.Rotation;
        var history = new MetricsHistory(rotation.Runtime);
        app.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(history.Dispose);
        DashboardShellEndpoints.Map(app, access, site);

        app.MapGet("/dashboard/", context => Page(context, host, access, "Overview", "overview", role => FarmPages.Overview(role, rotation, Cells(role))));
        app.MapGet("/dashboard/servers/{server}", context => Page(context, host, access, Route(context, "server"), "server", role =>
        {
            var name = Route(context, "server");
            var agent = role.Agents.List().FirstOrDefault(a => a.Name == name)
                ?? throw new ApiException(StatusCodes.Status404NotFound, $"server: no server named '{name}' has joined");
            return FarmPages.Server(role, rotation, agent, Cells(role));
        }));
        app.MapGet("/dashboard/events", context => Page(context, host, access, "Events", "events", _ => DashboardPages.Events(rotation.Runtime)));
        app.MapGet("/dashboard/trace", context => Page(context, host, access, "Trace", "trace", role => FarmPages.Trace(role.Agents.Names)));
        app.MapGet("/dashboard/availability", context =>
        {
            var period = Period(context, out _);
            return Page(context, host, access, "Availability", "availability", _ => FarmPages.Availability(period));
        });
        app.MapGet("/dashboard/deployments", context => Page(context, host, access, "Deployments", "deployments", _ => DeploymentsPage.Body()));

        app.MapGet("/dashboard/data/cells", context =>
        {
            var role = Leader(host);
            return WriteCells(context, FarmCells.Structure(role, rotation), Cells(role));
        });
        app.MapGet("/dashboard/fragments/overview", context =>
        {
            var role = Leader(host);
            return WriteFragment(context, FarmFragments.Overview(role, rotation, Cells(role)), FarmCells.Structure(role, rotation));
        });
        app.MapGet("/dashboard/fragments/availability", async context =>
        {
            var periodName = Period(context, out var period);
            var now = DateTimeOffset.UtcNow;
            var from = now - period;
            var subjects = await host.Store.ListAvailabilitySubjectsAsync(context.RequestAborted);
            var downtime = await host.Store.ListDowntimeAsync(from, context.RequestAborted);
            await WriteFragment(context, FarmFragments.Availability(AvailabilityReport.Compute(subjects, downtime, from, now), periodName));
        });

        Dictionary<string, DashboardCells.Cell> Cells(LeaderRole role) => FarmCells.All(role, rotation, history, DateTimeOffset.UtcNow);
    }

    /// <summary>The paths a standby serves too: the dashboard's own (its pages say where the leader is) and "/".</summary>
    public static bool ServedByStandby(PathString path) => path == "/" || (path.StartsWithSegments("/dashboard", StringComparison.Ordinal) && !path.StartsWithSegments("/dashboard/data", StringComparison.Ordinal) && !path.StartsWithSegments("/dashboard/fragments", StringComparison.Ordinal));

    private static Task Page(HttpContext context, ControllerHost host, AdminAccess access, string title, string page, Func<LeaderRole, string> body)
    {
        if (host.Role is not { } role)
        {
            var view = host.Leadership;
            return WritePage(context, access, FarmPages.Site, "Standby", page, FarmPages.Standby(view.LeaderUrl, view.Detail));
        }

        return WritePage(context, access, FarmPages.Site, title, page, body(role), Live(host.Rotation.Runtime.Events));
    }

    /// <summary>The leader's role for data the script fetches; a standby answers 503 (the page it showed says why).</summary>
    private static LeaderRole Leader(ControllerHost host)
        => host.Role ?? throw new ApiException(StatusCodes.Status503ServiceUnavailable, "this controller is the standby: its dashboard has no live data (open the leader's)");
}
