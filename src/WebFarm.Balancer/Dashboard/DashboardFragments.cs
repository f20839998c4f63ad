using System.Globalization;
using System.Text;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Statistics;
using static WebFarm.Balancer.Dashboard.DashboardHtml;

namespace WebFarm.Balancer.Dashboard;

/// <summary>
/// The parts of pages that are rendered on the server and fetched again by the script (elements with
/// data-fragment): the farm tables, charts, the health-check history, the latency histogram and availability.
/// Cell values come from <see cref="DashboardCells"/>, so a fragment and a cell refresh always agree.
/// </summary>
internal static class DashboardFragments
{
    private static readonly (string Field, string Header)[] s_columns =
    [
        ("state", "State"), ("health", "Health"), ("weight", "Weight"), ("effective", "Effective weight"), ("inflight", "In flight"),
        ("rps", "Req/s"), ("errors", "Errors (1 min)"), ("p50", "p50"), ("p99", "p99"),
    ];

    /// <summary>Every farm: its summary line, its servers' table and its charts.</summary>
    public static string Farms(BalancerRuntime runtime, MetricsHistory history)
    {
        var cells = DashboardCells.All(runtime, history);
        var html = new StringBuilder();
        if (runtime.Farms.Count == 0)
        {
            html.Append("<p>No farm is configured.</p>");
        }

        foreach (var farm in runtime.Farms.Values)
        {
            var id = "farm-" + Segment(farm.Name);
            html.Append("<section class=\"farm\" aria-labelledby=\"").Append(id).Append("\"><h2 id=\"").Append(id).Append("\">Farm ").Append(Encode(farm.Name)).Append("</h2>");
            html.Append("<p class=\"summary\">").Append(Encode(farm.Options.LoadBalancing.ToString())).Append(" · ");
            Cell(html, "span", cells, DashboardCells.Key(farm.Name, null, "available"));
            html.Append(" · ");
            Cell(html, "span", cells, DashboardCells.Key(farm.Name, null, "rps"));
            html.Append(" req/s · p99 ");
            Cell(html, "span", cells, DashboardCells.Key(farm.Name, null, "p99"));
            html.Append(" · errors ");
            Cell(html, "span", cells, DashboardCells.Key(farm.Name, null, "errors"));
            html.Append(' ');
            Cell(html, "strong", cells, DashboardCells.Key(farm.Name, null, "panic"));
            html.Append("</p><div class=\"table-wrap\"><table class=\"servers\"><caption class=\"sr-only\">Servers of farm ").Append(Encode(farm.Name)).Append("</caption><thead><tr><th scope=\"col\">Server</th>");
            foreach (var (_, header) in s_columns)
            {
                html.Append("<th scope=\"col\">").Append(header).Append("</th>");
            }

            html.Append("</tr></thead><tbody>");
            foreach (var server in farm.Servers)
            {
                var rowKey = DashboardCells.Key(farm.Name, server.Name, "row");
                html.Append("<tr data-k=\"").Append(Encode(rowKey)).Append("\" class=\"").Append(cells[rowKey].Class).Append("\"><th scope=\"row\"><a href=\"").Append(ServerPath(server)).Append("\">")
                    .Append(Encode(server.Name)).Append("</a><span class=\"address\">").Append(Encode(server.Address.ToString())).Append("</span></th>");
                foreach (var (field, header) in s_columns)
                {
                    html.Append("<td data-label=\"").Append(header).Append("\">");
                    Cell(html, "span", cells, DashboardCells.Key(farm.Name, server.Name, field));
                    html.Append("</td>");
                }

                html.Append("</tr>");
            }

            html.Append("</tbody></table></div>");
            html.Append("<div class=\"charts\" data-fragment=\"/dashboard/fragments/farms/").Append(Segment(farm.Name)).Append("/charts\" data-every=\"5000\">")
                .Append(FarmCharts(farm, history)).Append("</div></section>");
        }

        return html.ToString();
    }

    /// <summary>Requests/s, p99 and errors/s of the last 15 minutes, a line per server.</summary>
    public static string FarmCharts(FarmRuntime farm, MetricsHistory history)
    {
        var servers = new List<(string Name, List<HistorySample> Samples)>();
        foreach (var server in farm.Servers)
        {
            servers.Add((server.Name, history.Of(farm.Name, server.Name, MetricsHistory.Span)));
        }

        return Charts(servers);
    }

    public static string ServerCharts(ServerRuntime server, MetricsHistory history)
        => Charts([(server.Name, history.Of(server.Farm, server.Name, MetricsHistory.Span))]);

    /// <summary>Health checks the server page lists (the newest; the history keeps more for the API to come).</summary>
    private const int ChecksShown = 15;

    /// <summary>The server's latest health checks, newest first, with their reasons.</summary>
    public static string HealthChecks(ServerRuntime server)
    {
        var checks = server.HealthChecks.ToList();
        if (checks.Count == 0)
        {
            return "<p>No active health check has run for this server (the farm has none configured, or it has not run yet).</p>";
        }

        var html = new StringBuilder("<div class=\"table-wrap\"><table class=\"checks\"><caption class=\"sr-only\">Latest health checks</caption><thead><tr><th scope=\"col\">Time (UTC)</th><th scope=\"col\">Result</th><th scope=\"col\">Status</th><th scope=\"col\">Latency</th><th scope=\"col\">Reason</th></tr></thead><tbody>");
        for (var i = checks.Count - 1; i >= Math.Max(0, checks.Count - ChecksShown); i--)
        {
            var c = checks[i];
            html.Append("<tr><td>").Append(c.Time.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture)).Append("</td><td class=\"").Append(c.Healthy ? "ok" : "bad").Append("\">")
                .Append(c.Healthy ? "passed" : "failed").Append("</td><td>").Append(c.StatusCode?.ToString(CultureInfo.InvariantCulture) ?? "–").Append("</td><td>")
                .Append(c.LatencyMs.ToString("0.0", CultureInfo.InvariantCulture)).Append(" ms</td><td>").Append(Encode(c.Reason)).Append("</td></tr>");
        }

        return html.Append("</tbody></table></div>").ToString();
    }

    /// <summary>The server's response times of the last 60 seconds, in power-of-two millisecond buckets.</summary>
    public static string Latency(ServerRuntime server)
    {
        Span<long> bins = stackalloc long[LatencyBins.Count];
        server.Statistics.AddHistogram(bins, SlidingLatencyWindow.Seconds);
        // Buckets: <1 ms, 1-2, 2-4, ... 512-1024 ms, >= 1 s.
        const int buckets = 12;
        var counts = new long[buckets];
        for (var i = 0; i < bins.Length; i++)
        {
            if (bins[i] == 0)
            {
                continue;
            }

            var ms = LatencyBins.Representative(i) / 1000.0;
            var bucket = ms < 1 ? 0 : Math.Min(buckets - 1, 1 + (int)Math.Floor(Math.Log2(ms)));
            counts[bucket] += bins[i];
        }

        var bars = new List<(string, long)>(buckets) { ("<1", counts[0]) };
        for (var b = 1; b < buckets - 1; b++)
        {
            bars.Add(((1 << (b - 1)).ToString(CultureInfo.InvariantCulture), counts[b]));
        }

        bars.Add(("≥1s", counts[^1]));
        return SvgCharts.Bars("Responses by time (ms, lower bound), last 60 s", bars);
    }

    /// <summary>Availability of every farm and server over the observed part of [from, to].</summary>
    public static string Availability(List<AvailabilityReport> reports, DateTimeOffset from, DateTimeOffset to, string periodName)
    {
        var html = new StringBuilder();
        html.Append("<p class=\"summary\">Observed ").Append(Encode(Duration(to - from))).Append(" of the last ").Append(Encode(periodName))
            .Append(" (from ").Append(from.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)).Append("Z: this balancer's start or its oldest kept event). ")
            .Append("<span class=\"key up\">up</span> <span class=\"key scheduled\">scheduled (drained or offline)</span> <span class=\"key unscheduled\">unscheduled (failed)</span></p>");
        html.Append("<div class=\"table-wrap\"><table class=\"availability\"><caption class=\"sr-only\">Availability</caption><thead><tr><th scope=\"col\">Farm / server</th><th scope=\"col\">Availability</th><th scope=\"col\">Nines</th><th scope=\"col\">Unscheduled</th><th scope=\"col\">Scheduled</th><th scope=\"col\" class=\"wide\">Timeline</th></tr></thead><tbody>");
        foreach (var report in reports)
        {
            var name = report.Server is null ? "farm " + report.Farm : report.Server;
            html.Append("<tr class=\"").Append(report.Server is null ? "farm-row" : "").Append("\"><th scope=\"row\">").Append(Encode(name)).Append("</th><td data-label=\"Availability\">")
                .Append((report.Availability * 100).ToString("0.####", CultureInfo.InvariantCulture)).Append(" %</td><td data-label=\"Nines\">")
                .Append(report.Nines is { } nines ? nines.ToString("0.0", CultureInfo.InvariantCulture) : "∞").Append("</td><td data-label=\"Unscheduled\">")
                .Append(Encode(Duration(report.Unscheduled))).Append("</td><td data-label=\"Scheduled\">").Append(Encode(Duration(report.Scheduled))).Append("</td><td class=\"wide\">")
                .Append(SvgCharts.Timeline($"Timeline of {name}", report.Segments, from, to)).Append("</td></tr>");
        }

        return html.Append("</tbody></table></div>").ToString();
    }

    public static string ServerPath(ServerRuntime server) => $"/dashboard/farms/{Segment(server.Farm)}/servers/{Segment(server.Name)}";

    public static void Cell(StringBuilder html, string element, Dictionary<string, DashboardCells.Cell> cells, string key)
    {
        var cell = cells.TryGetValue(key, out var c) ? c : new DashboardCells.Cell("–");
        html.Append('<').Append(element).Append(" data-k=\"").Append(Encode(key)).Append("\" class=\"").Append(cell.Class).Append("\">")
            .Append(Encode(cell.Text)).Append("</").Append(element).Append('>');
    }

    private static string Charts(List<(string Name, List<HistorySample> Samples)> servers)
    {
        var rps = new List<ChartSeries>();
        var p99 = new List<ChartSeries>();
        var errors = new List<ChartSeries>();
        foreach (var (name, samples) in servers)
        {
            var r = new List<(DateTimeOffset, double)>(samples.Count);
            var p = new List<(DateTimeOffset, double)>(samples.Count);
            var e = new List<(DateTimeOffset, double)>(samples.Count);
            foreach (var s in samples)
            {
                r.Add((s.Time, s.RequestsPerSecond));
                p.Add((s.Time, s.P99Ms));
                e.Add((s.Time, s.ErrorsPerSecond));
            }

            rps.Add(new ChartSeries(name, r));
            p99.Add(new ChartSeries(name, p));
            errors.Add(new ChartSeries(name, e));
        }

        var now = DateTimeOffset.UtcNow;
        return SvgCharts.Line("Requests", "per second", rps, now, MetricsHistory.Span)
            + SvgCharts.Line("Response time p99", "ms", p99, now, MetricsHistory.Span)
            + SvgCharts.Line("Errors", "5xx + failures per second", errors, now, MetricsHistory.Span);
    }

    public static string Duration(TimeSpan span)
    {
        if (span < TimeSpan.FromMinutes(1))
        {
            return $"{span.TotalSeconds:0} s";
        }

        if (span < TimeSpan.FromHours(1))
        {
            return $"{(int)span.TotalMinutes} min {span.Seconds} s";
        }

        if (span < TimeSpan.FromDays(1))
        {
            return $"{(int)span.TotalHours} h {span.Minutes} min";
        }

        return $"{(int)span.TotalDays} d {span.Hours} h";
    }
}
