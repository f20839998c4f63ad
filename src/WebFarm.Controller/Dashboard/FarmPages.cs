using System.Text;
using WebFarm.Balancer.Dashboard;
using WebFarm.Controller.Agents;
using WebFarm.Controller.Hosting;
using WebFarm.Controller.Rotation;
using static WebFarm.Balancer.Dashboard.DashboardHtml;
using Cells = System.Collections.Generic.Dictionary<string, WebFarm.Balancer.Dashboard.DashboardCells.Cell>;

namespace WebFarm.Controller.Dashboard;

/// <summary>The bodies of the controller dashboard's pages; <see cref="DashboardHtml.Page"/> frames them.</summary>
internal static class FarmPages
{
    /// <summary>The controller's navigation; the Events page is the balancer's own (the controller's events are its in-process balancer's stream).</summary>
    public static readonly DashboardSite Site = new(
        "controller",
        "--token or $WEBFARM_TOKEN of `webfarm controller`",
        [
            new("/dashboard/", "Overview", "overview"), new("/dashboard/events", "Events", "events"), new("/dashboard/trace", "Trace", "trace"),
            new("/dashboard/availability", "Availability", "availability"), new("/dashboard/deployments", "Deployments", "deployments"),
        ]);

    public static string Overview(LeaderRole role, FarmRotation rotation, Cells cells)
        => "<h1>Overview</h1><div id=\"farms\" data-structure=\"" + Encode(FarmCells.Structure(role, rotation)) + "\" data-structure-fragment=\"/dashboard/fragments/overview\">"
            + FarmFragments.Overview(role, rotation, cells) + "</div>"
            + "<section aria-labelledby=\"latest\"><h2 id=\"latest\">Latest events</h2><ol class=\"events\" data-events=\"20\"></ol></section>";

    public static string Server(LeaderRole role, FarmRotation rotation, AgentInfo agent, Cells cells)
    {
        var name = agent.Name;
        var html = new StringBuilder();
        html.Append("<h1>Server ").Append(Encode(name)).Append("</h1><dl class=\"facts\"><div><dt>Address</dt><dd>").Append(Encode(agent.Address)).Append("</dd></div>");
        html.Append("<div><dt>Joined</dt><dd>").Append(Encode(agent.JoinedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture))).Append("Z</dd></div>");
        foreach (var (field, label) in (ReadOnlySpan<(string, string)>)[("state", "Agent"), ("heartbeat", "Last heartbeat"), ("cpu", "CPU"), ("memory", "Memory"), ("load", "Load average (1, 5, 15 min)"), ("detail", "Detail")])
        {
            html.Append("<div><dt>").Append(label).Append("</dt><dd>");
            DashboardFragments.Cell(html, "span", cells, FarmCells.AgentKey(name, field));
            html.Append("</dd></div>");
        }

        html.Append("</dl>");
        html.Append("<section aria-labelledby=\"actions\" class=\"actions\"><h2 id=\"actions\">In rotation</h2>");
        var farms = 0;
        foreach (var farm in rotation.Runtime.Farms.Values)
        {
            if (farm.FindServer(name) is not { } server)
            {
                continue;
            }

            // The servers' farm first, unprefixed; app farms after it, numbered.
            var prefix = farm.Name == rotation.FarmName ? string.Empty : $"f{farms}-";
            farms++;
            html.Append("<h3>").Append(farm.Name == rotation.FarmName ? "Servers' farm " : "App ").Append(Encode(farm.Name)).Append("</h3><dl class=\"facts\">");
            foreach (var (field, label) in (ReadOnlySpan<(string, string)>)[("state", "State"), ("health", "Health"), ("weight", "Weight"), ("effective", "Effective weight"), ("inflight", "In flight"), ("rps", "Requests/s"), ("p50", "p50"), ("p99", "p99")])
            {
                html.Append("<div><dt>").Append(label).Append("</dt><dd>");
                DashboardFragments.Cell(html, "span", cells, DashboardCells.Key(farm.Name, name, field));
                html.Append("</dd></div>");
            }

            html.Append("</dl>");
            DashboardPages.ServerActions(html, farm.Name, name, server.Weight, prefix);
        }

        if (farms == 0)
        {
            html.Append("<p>Not in any farm's rotation: the controller puts it in once its address (or an app instance on it) passes the health check.</p>");
        }

        html.Append("<p id=\"result\" class=\"result\" role=\"status\" aria-live=\"polite\"></p></section>");
        html.Append("<section aria-labelledby=\"server-instances\"><h2 id=\"server-instances\">App instances</h2>");
        FarmFragments.Instances(html, role, cells, name);
        html.Append("</section><section aria-labelledby=\"server-events\"><h2 id=\"server-events\">Events</h2><ol class=\"events\" data-events=\"50\" data-server=\"").Append(Encode(name)).Append("\"></ol></section>");
        html.Append(DashboardPages.ConfirmDialog);
        return html.ToString();
    }

    public static string Trace(IReadOnlyCollection<string> servers)
    {
        var html = new StringBuilder("<h1>Trace</h1><p>The merged trace of every server: its agent's messages and its apps' output, oldest first, followed live.</p>");
        html.Append("<form class=\"filters\" id=\"trace-filters\" aria-label=\"Filter the trace\"><label>Server <select id=\"trace-server\"><option value=\"\">all</option>");
        foreach (var server in servers.Order(StringComparer.Ordinal))
        {
            html.Append("<option>").Append(Encode(server)).Append("</option>");
        }

        html.Append("</select></label><label>Contains <input id=\"trace-filter\" type=\"search\" autocomplete=\"off\"></label>");
        html.Append("<button type=\"button\" id=\"trace-follow\" aria-pressed=\"false\">Pause</button><button type=\"button\" id=\"trace-clear\">Clear</button>");
        html.Append("<span id=\"trace-status\" role=\"status\" aria-live=\"polite\"></span></form>");
        html.Append("<ol id=\"trace\" class=\"trace\" aria-label=\"Trace messages\"></ol>");
        html.Append(DashboardPages.ConfirmDialog);
        return html.ToString();
    }

    public static string Availability(string period)
    {
        var html = new StringBuilder("<h1>Availability</h1><form class=\"filters\" method=\"get\" action=\"/dashboard/availability\"><label>Period <select name=\"period\">");
        var listed = false;
        foreach (var p in DashboardPages.Periods)
        {
            listed |= p == period;
            html.Append("<option").Append(p == period ? " selected" : string.Empty).Append('>').Append(p).Append("</option>");
        }

        if (!listed)
        {
            html.Append("<option selected>").Append(Encode(period)).Append("</option>");
        }

        html.Append("</select></label> <button type=\"submit\">Show</button></form>");
        html.Append("<p>Availability counts all downtime over the period, scheduled and unscheduled; \"unscheduled only\" counts failures alone. ")
            .Append("A server is down while it is out of rotation, an app while none of its instances is in rotation, the farm while no server is.</p>");
        html.Append("<div data-fragment=\"/dashboard/fragments/availability?period=").Append(Uri.EscapeDataString(period)).Append("\" data-every=\"5000\" aria-busy=\"true\"></div>");
        return html.ToString();
    }

    public static string Standby(string? leader, string detail)
    {
        var html = new StringBuilder("<h1>Standby</h1><p role=\"status\">This controller is the standby of a pair: it serves nothing until it leads.</p>");
        if (leader is not null && Uri.TryCreate(leader, UriKind.Absolute, out var url) && url.Scheme is "http" or "https")
        {
            var dashboard = DashboardAddress.Of(url).ToString();
            html.Append("<p>The leader's dashboard: <a href=\"").Append(Encode(dashboard)).Append("\">").Append(Encode(dashboard)).Append("</a></p>");
        }
        else
        {
            html.Append("<p>No leader is known at this moment (").Append(Encode(detail)).Append("); reload in a moment.</p>");
        }

        return html.ToString();
    }
}
