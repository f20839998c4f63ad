using System.Globalization;
using System.Text;
using WebFarm.Balancer.Dashboard;
using WebFarm.Controller.Availability;
using WebFarm.Controller.Hosting;
using WebFarm.Controller.Rotation;
using static WebFarm.Balancer.Dashboard.DashboardHtml;
using AvailabilityReport = WebFarm.Controller.Availability.AvailabilityReport;
using Cells = System.Collections.Generic.Dictionary<string, WebFarm.Balancer.Dashboard.DashboardCells.Cell>;

namespace WebFarm.Controller.Dashboard;

/// <summary>
/// The controller dashboard's server-rendered parts that the script fetches again: the overview's tables (servers,
/// app instances, apps) and the availability report. Values come from <see cref="FarmCells"/>, the same keys the
/// 2 s refresh writes.
/// </summary>
internal static class FarmFragments
{
    private static readonly (string Field, string Header)[] s_serverColumns =
    [
        ("state", "Agent"), ("heartbeat", "Heartbeat"), ("cpu", "CPU"), ("memory", "Memory"), ("load", "Load average (1, 5, 15 min)"),
    ];

    private static readonly (string Field, string Header)[] s_rotationColumns = [("state", "Rotation"), ("health", "Health"), ("inflight", "In flight")];

    private static readonly (string Field, string Header)[] s_instanceColumns =
    [
        ("process", "Process"), ("port", "Port"), ("pid", "PID"), ("healthy", "Health"), ("rotation", "In rotation"),
    ];

    private static readonly (string Field, string Header)[] s_instanceLoadColumns = [("cpu", "CPU (one core)"), ("memory", "Memory"), ("restarts", "Restarts")];

    private static readonly (string Field, string Header)[] s_instanceFarmColumns = [("inflight", "In flight"), ("p50", "p50"), ("p99", "p99"), ("rps", "Req/s")];

    /// <summary>Servers (agent, heartbeat, load, rotation in the servers' farm), app instances, apps.</summary>
    public static string Overview(LeaderRole role, FarmRotation rotation, Cells cells)
    {
        var html = new StringBuilder();
        var agents = role.Agents.List();
        html.Append("<section aria-labelledby=\"servers\"><h2 id=\"servers\">Servers</h2>");
        if (agents.Count == 0)
        {
            html.Append("<p>No server has joined yet: get a join token with <code>webfarm agents token</code> and start <code>webfarm agent</code> on each web server.</p>");
        }
        else
        {
            html.Append("<div class=\"table-wrap\"><table class=\"servers\"><caption class=\"sr-only\">Joined servers</caption><thead><tr><th scope=\"col\">Server</th>");
            Headers(html, s_serverColumns);
            Headers(html, s_rotationColumns);
            html.Append("</tr></thead><tbody>");
            foreach (var agent in agents)
            {
                var rowKey = FarmCells.AgentKey(agent.Name, "row");
                html.Append("<tr data-k=\"").Append(Encode(rowKey)).Append("\" class=\"").Append(cells[rowKey].Class).Append("\"><th scope=\"row\"><a href=\"").Append(ServerPath(agent.Name)).Append("\">")
                    .Append(Encode(agent.Name)).Append("</a><span class=\"address\">").Append(Encode(agent.Address)).Append("</span></th>");
                Cells(html, cells, s_serverColumns, field => FarmCells.AgentKey(agent.Name, field));
                Cells(html, cells, s_rotationColumns, field => DashboardCells.Key(rotation.FarmName, agent.Name, field));
                html.Append("</tr>");
            }

            html.Append("</tbody></table></div>");
        }

        html.Append("</section>");
        html.Append("<section aria-labelledby=\"instances\"><h2 id=\"instances\">App instances</h2>");
        Instances(html, role, cells, null);
        html.Append("</section>");
        Apps(html, role, rotation, cells);
        return html.ToString();
    }

    /// <summary>The instances the agents report (of one server, or all), with their farm's figures.</summary>
    public static void Instances(StringBuilder html, LeaderRole role, Cells cells, string? server)
    {
        var rows = new List<(string Server, string App)>();
        foreach (var agent in role.Agents.List())
        {
            if ((server is not null && agent.Name != server) || role.Agents.Find(agent.Name) is not { } tracked)
            {
                continue;
            }

            lock (tracked.Lock)
            {
                foreach (var instance in tracked.Instances)
                {
                    rows.Add((agent.Name, instance.App));
                }
            }
        }

        if (rows.Count == 0)
        {
            html.Append("<p>No app instance runs").Append(server is null ? string.Empty : " on this server").Append(" (add an app with <code>webfarm apps add</code>).</p>");
            return;
        }

        html.Append("<div class=\"table-wrap\"><table class=\"servers instances\"><caption class=\"sr-only\">App instances</caption><thead><tr><th scope=\"col\">Instance</th>");
        Headers(html, s_instanceColumns);
        Headers(html, s_instanceFarmColumns);
        Headers(html, s_instanceLoadColumns);
        html.Append("<th scope=\"col\">Detail</th></tr></thead><tbody>");
        foreach (var (name, app) in rows)
        {
            html.Append("<tr data-instance=\"").Append(Encode(name + "/" + app)).Append("\"><th scope=\"row\">").Append(Encode(app)).Append(" on <a href=\"").Append(ServerPath(name)).Append("\">").Append(Encode(name)).Append("</a></th>");
            Cells(html, cells, s_instanceColumns, field => FarmCells.InstanceKey(name, app, field));
            Cells(html, cells, s_instanceFarmColumns, field => DashboardCells.Key(app, name, field));
            Cells(html, cells, s_instanceLoadColumns, field => FarmCells.InstanceKey(name, app, field));
            html.Append("<td data-label=\"Detail\">");
            DashboardFragments.Cell(html, "span", cells, FarmCells.InstanceKey(name, app, "detail"));
            html.Append("</td></tr>");
        }

        html.Append("</tbody></table></div>");
    }

    private static void Apps(StringBuilder html, LeaderRole role, FarmRotation rotation, Cells cells)
    {
        html.Append("<section aria-labelledby=\"apps\"><h2 id=\"apps\">Apps</h2>");
        var apps = role.Apps.Apps;
        if (apps.Count == 0)
        {
            html.Append("<p>No app is defined: the servers' farm <strong>").Append(Encode(rotation.FarmName)).Append("</strong> takes every request.</p></section>");
            return;
        }

        html.Append("<div class=\"table-wrap\"><table class=\"servers apps\"><caption class=\"sr-only\">Apps</caption><thead><tr><th scope=\"col\">App</th><th scope=\"col\">Runs on</th><th scope=\"col\">In rotation</th><th scope=\"col\">Ports</th><th scope=\"col\">Health path</th><th scope=\"col\">Hosts</th></tr></thead><tbody>");
        foreach (var app in apps)
        {
            html.Append("<tr><th scope=\"row\">").Append(Encode(app.Name)).Append("</th><td data-label=\"Runs on\">")
                .Append(app.Servers.Count == 0 ? "every server" : Encode(string.Join(", ", app.Servers))).Append("</td><td data-label=\"In rotation\">");
            DashboardFragments.Cell(html, "span", cells, DashboardCells.Key(app.Name, null, "available"));
            html.Append("</td><td data-label=\"Ports\">").Append(Encode(app.Ports)).Append("</td><td data-label=\"Health path\">").Append(Encode(app.HealthPath))
                .Append("</td><td data-label=\"Hosts\">").Append(app.Hosts.Count == 0 ? "requests no other app's host claims" : Encode(string.Join(", ", app.Hosts))).Append("</td></tr>");
        }

        html.Append("</tbody></table></div></section>");
    }

    /// <summary>Availability per subject with its timeline, then the downtime of the period, newest first.</summary>
    public static string Availability(AvailabilityReport report, string periodName)
    {
        var html = new StringBuilder();
        html.Append("<p class=\"summary\">The last ").Append(Encode(periodName)).Append(", to ").Append(Time(report.To)).Append(", from the controller's records; a subject counts from when it was first in service. ")
            .Append("<span class=\"key up\">up</span> <span class=\"key scheduled\">scheduled (drain, offline, restart, deploy)</span> <span class=\"key unscheduled\">unscheduled (failed health, lost agent, crash)</span></p>");
        if (report.Subjects.Count == 0)
        {
            html.Append("<p>Nothing has been in service yet.</p>");
            return html.ToString();
        }

        html.Append("<div class=\"table-wrap\"><table class=\"availability\"><caption class=\"sr-only\">Availability</caption><thead><tr><th scope=\"col\">Farm / app / server</th><th scope=\"col\">Availability</th><th scope=\"col\">Unscheduled only</th><th scope=\"col\">Nines</th><th scope=\"col\">Unscheduled</th><th scope=\"col\">Scheduled</th><th scope=\"col\">Outages</th><th scope=\"col\" class=\"wide\">Timeline</th></tr></thead><tbody>");
        foreach (var subject in report.Subjects)
        {
            var name = subject.Kind switch { SubjectKind.Farm => "farm", SubjectKind.App => "app " + subject.Name, _ => subject.Name };
            html.Append("<tr class=\"").Append(subject.Kind == SubjectKind.Farm ? "farm-row" : string.Empty).Append("\" data-subject=\"").Append(Encode(Kind(subject.Kind) + "/" + subject.Name))
                .Append("\"><th scope=\"row\">").Append(Encode(name)).Append("</th><td data-label=\"Availability\">").Append(Percent(subject.AvailabilityPercent))
                .Append("</td><td data-label=\"Unscheduled only\">").Append(Percent(subject.UnscheduledAvailabilityPercent)).Append("</td><td data-label=\"Nines\">")
                .Append(subject.Nines is { } nines ? nines.ToString("0.0", CultureInfo.InvariantCulture) : "∞").Append("</td><td data-label=\"Unscheduled\">")
                .Append(Encode(DashboardFragments.Duration(subject.UnscheduledDowntime))).Append("</td><td data-label=\"Scheduled\">").Append(Encode(DashboardFragments.Duration(subject.ScheduledDowntime)))
                .Append("</td><td data-label=\"Outages\">").Append(subject.Outages.ToString(CultureInfo.InvariantCulture)).Append("</td><td class=\"wide\">")
                .Append(SvgCharts.Timeline($"Timeline of {name}", Segments(subject, report.Downtime), report.From, report.To)).Append("</td></tr>");
        }

        html.Append("</tbody></table></div>");
        html.Append("<h2>Downtime</h2>");
        if (report.Downtime.Count == 0)
        {
            html.Append("<p>No downtime in this period.</p>");
            return html.ToString();
        }

        html.Append("<div class=\"table-wrap\"><table class=\"availability downtime\"><caption class=\"sr-only\">Downtime</caption><thead><tr><th scope=\"col\">Subject</th><th scope=\"col\">Kind</th><th scope=\"col\">Cause</th><th scope=\"col\">Started</th><th scope=\"col\">Ended</th><th scope=\"col\">Duration</th></tr></thead><tbody>");
        for (var i = report.Downtime.Count - 1; i >= Math.Max(0, report.Downtime.Count - DowntimeShown); i--)
        {
            var d = report.Downtime[i];
            var end = d.Ended ?? report.To;
            html.Append("<tr><th scope=\"row\">").Append(Encode(Kind(d.Kind) + " " + d.Subject)).Append("</th><td data-label=\"Kind\" class=\"").Append(d.Scheduled ? "warn" : "bad").Append("\">")
                .Append(d.Scheduled ? "scheduled" : "unscheduled").Append("</td><td data-label=\"Cause\">").Append(Encode(d.Cause)).Append("</td><td data-label=\"Started\">").Append(Time(d.Started))
                .Append("</td><td data-label=\"Ended\">").Append(d.Ended is { } ended ? Time(ended) : "ongoing").Append("</td><td data-label=\"Duration\">")
                .Append(Encode(DashboardFragments.Duration(end - d.Started))).Append("</td></tr>");
        }

        return html.Append("</tbody></table></div>").ToString();
    }

    public static string ServerPath(string server) => "/dashboard/servers/" + Segment(server);

    /// <summary>The newest downtime intervals the page lists (the API has them all).</summary>
    private const int DowntimeShown = 50;

    /// <summary>
    /// The subject's timeline: unobserved before it was first in service, then up except where its downtime says
    /// otherwise (clipped to the period; a scheduled and an unscheduled interval that overlap show the unscheduled one).
    /// </summary>
    private static List<AvailabilitySegment> Segments(SubjectAvailability subject, IReadOnlyList<DowntimeRecord> downtime)
    {
        var segments = new List<AvailabilitySegment>();
        if (subject.To > subject.From)
        {
            segments.Add(new AvailabilitySegment(subject.From, subject.To, AvailabilityStatus.Up));
        }

        foreach (var scheduled in (ReadOnlySpan<bool>)[true, false])
        {
            foreach (var d in downtime)
            {
                if (d.Kind != subject.Kind || d.Subject != subject.Name || d.Scheduled != scheduled)
                {
                    continue;
                }

                var start = d.Started > subject.From ? d.Started : subject.From;
                var end = d.Ended is { } ended && ended < subject.To ? ended : subject.To;
                if (end > start)
                {
                    segments.Add(new AvailabilitySegment(start, end, scheduled ? AvailabilityStatus.Scheduled : AvailabilityStatus.Unscheduled));
                }
            }
        }

        return segments;
    }

    private static string Kind(SubjectKind kind) => kind.ToString().ToLowerInvariant();

    private static string Percent(double percent) => percent.ToString("0.####", CultureInfo.InvariantCulture) + " %";

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "Z";

    private static void Headers(StringBuilder html, (string Field, string Header)[] columns)
    {
        foreach (var (_, header) in columns)
        {
            html.Append("<th scope=\"col\">").Append(header).Append("</th>");
        }
    }

    private static void Cells(StringBuilder html, Cells cells, (string Field, string Header)[] columns, Func<string, string> key)
    {
        foreach (var (field, header) in columns)
        {
            html.Append("<td data-label=\"").Append(header).Append("\">");
            DashboardFragments.Cell(html, "span", cells, key(field));
            html.Append("</td>");
        }
    }
}
