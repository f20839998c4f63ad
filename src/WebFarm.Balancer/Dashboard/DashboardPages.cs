using System.Text;
using WebFarm.Balancer.Events;
using WebFarm.Balancer.Farms;
using static WebFarm.Balancer.Dashboard.DashboardHtml;

namespace WebFarm.Balancer.Dashboard;

/// <summary>The bodies of the dashboard's pages; <see cref="DashboardHtml.Page"/> frames them.</summary>
internal static class DashboardPages
{
    /// <summary>Periods the availability page offers (any other duration works in its ?period= too).</summary>
    public static readonly string[] Periods = ["1h", "24h", "7d", "30d"];

    public static string Overview(BalancerRuntime runtime, MetricsHistory history)
        => "<h1>Overview</h1><div id=\"farms\" data-structure=\"" + Encode(DashboardCells.Structure(runtime)) + "\" data-structure-fragment=\"/dashboard/fragments/farms\">"
            + DashboardFragments.Farms(runtime, history) + "</div>"
            + "<section aria-labelledby=\"latest\"><h2 id=\"latest\">Latest events</h2><ol class=\"events\" data-events=\"20\"></ol></section>";

    public static string Server(BalancerRuntime runtime, ServerRuntime server, MetricsHistory history)
    {
        var cells = DashboardCells.All(runtime, history);
        var farm = server.Farm;
        var name = server.Name;
        var api = $"/dashboard/api/farms/{Segment(farm)}/servers/{Segment(name)}";
        var fragments = $"/dashboard/fragments/farms/{Segment(farm)}/servers/{Segment(name)}";
        var html = new StringBuilder();
        html.Append("<h1>Server ").Append(Encode(name)).Append(" <small>farm <a href=\"/dashboard/\">").Append(Encode(farm)).Append("</a></small></h1>");
        html.Append("<dl class=\"facts\"><div><dt>Address</dt><dd>").Append(Encode(server.Address.ToString())).Append("</dd></div>");
        foreach (var (field, label) in (ReadOnlySpan<(string, string)>)[
            ("state", "State"), ("health", "Health"), ("weight", "Weight"), ("effective", "Effective weight"), ("inflight", "In flight"),
            ("rps", "Requests/s"), ("errors", "Errors (1 min)"), ("p50", "p50"), ("p99", "p99"), ("requests", "Requests (total)"), ("check", "Last health check")])
        {
            html.Append("<div><dt>").Append(label).Append("</dt><dd>");
            DashboardFragments.Cell(html, "span", cells, DashboardCells.Key(farm, name, field));
            html.Append("</dd></div>");
        }

        html.Append("</dl>");
        html.Append("<section aria-labelledby=\"actions\" class=\"actions\"><h2 id=\"actions\">Actions</h2>");
        ServerActions(html, farm, name, server.Weight, string.Empty);
        html.Append("<p id=\"result\" class=\"result\" role=\"status\" aria-live=\"polite\"></p></section>");
        html.Append("<section aria-labelledby=\"checks\"><h2 id=\"checks\">Health checks</h2><div data-fragment=\"").Append(fragments).Append("/health\" data-every=\"2000\">")
            .Append(DashboardFragments.HealthChecks(server)).Append("</div></section>");
        html.Append("<section aria-labelledby=\"latency\"><h2 id=\"latency\">Latency</h2><div class=\"histogram\" data-fragment=\"").Append(fragments).Append("/latency\" data-every=\"5000\">")
            .Append(DashboardFragments.Latency(server)).Append("</div></section>");
        html.Append("<section aria-labelledby=\"traffic\"><h2 id=\"traffic\">Last 15 minutes</h2><div class=\"charts\" data-fragment=\"").Append(fragments).Append("/charts\" data-every=\"5000\">")
            .Append(DashboardFragments.ServerCharts(server, history)).Append("</div></section>");
        html.Append("<section aria-labelledby=\"server-events\"><h2 id=\"server-events\">Events</h2><ol class=\"events\" data-events=\"50\" data-farm=\"").Append(Encode(farm))
            .Append("\" data-server=\"").Append(Encode(name)).Append("\"></ol></section>");
        html.Append(ConfirmDialog);
        return html.ToString();
    }

    public static string Events(BalancerRuntime runtime)
    {
        var html = new StringBuilder("<h1>Events</h1><form class=\"filters\" id=\"filters\" aria-label=\"Filter events\">");
        html.Append("<label>Farm <select id=\"filter-farm\"><option value=\"\">all</option>");
        foreach (var farm in runtime.Farms.Values)
        {
            html.Append("<option>").Append(Encode(farm.Name)).Append("</option>");
        }

        html.Append("</select></label><label>Server <select id=\"filter-server\"><option value=\"\">all</option>");
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var farm in runtime.Farms.Values)
        {
            foreach (var server in farm.Servers)
            {
                names.Add(server.Name);
            }
        }

        foreach (var name in names)
        {
            html.Append("<option>").Append(Encode(name)).Append("</option>");
        }

        html.Append("</select></label><label>Kind <select id=\"filter-kind\"><option value=\"\">all</option>");
        foreach (var kind in Enum.GetValues<EventKind>())
        {
            html.Append("<option>").Append(EventKindNames.ToKebabCase(kind)).Append("</option>");
        }

        html.Append("</select></label><button type=\"button\" id=\"pause\" aria-pressed=\"false\">Pause</button><button type=\"button\" id=\"clear\">Clear</button><span id=\"held\" aria-live=\"polite\"></span></form>");
        html.Append("<ol class=\"events\" data-events=\"500\" data-filtered=\"true\"></ol>");
        return html.ToString();
    }

    public static string Availability(string period)
    {
        var html = new StringBuilder("<h1>Availability</h1><form class=\"filters\" method=\"get\" action=\"/dashboard/availability\"><label>Period <select name=\"period\">");
        foreach (var p in Periods)
        {
            html.Append("<option").Append(p == period ? " selected" : "").Append('>').Append(p).Append("</option>");
        }

        html.Append("</select></label> <button type=\"submit\">Show</button></form>");
        html.Append("<p>Computed from this balancer's own events: a server is down unscheduled while it fails its health checks and is meant to be online, ")
            .Append("down scheduled while drained or offline. Availability leaves scheduled downtime out; a farm is up while any of its servers is.</p>");
        html.Append("<div data-fragment=\"/dashboard/fragments/availability?period=").Append(Uri.EscapeDataString(period)).Append("\" data-every=\"10000\" aria-busy=\"true\"></div>");
        return html.ToString();
    }

    public static string Login(DashboardSite site, string? error)
    {
        var html = new StringBuilder("<h1>Log in</h1><form class=\"login\" method=\"post\" action=\"/dashboard/login\">");
        if (error is not null)
        {
            html.Append("<p class=\"bad\" role=\"alert\" id=\"login-error\">").Append(Encode(error)).Append("</p>");
        }

        html.Append("<p>This ").Append(site.Product).Append("'s API needs its token (").Append(Encode(site.TokenSource)).Append(").</p>");
        html.Append("<label for=\"token\">Admin token</label> <input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" required autofocus> ");
        html.Append("<button type=\"submit\" class=\"primary\">Log in</button></form>");
        return html.ToString();
    }

    /// <summary>The dialog every action asks in first (the script fills in the question).</summary>
    public const string ConfirmDialog = "<dialog id=\"confirm\" aria-labelledby=\"confirm-text\"><form method=\"dialog\"><p id=\"confirm-text\"></p><div class=\"buttons\"><button value=\"cancel\" autofocus>Cancel</button> <button value=\"ok\" class=\"primary\">Confirm</button></div></form></dialog>";

    /// <summary>
    /// A server's actions in one farm: drain, online, offline (after drain or now), verify, weight; each calls the API
    /// through /dashboard/api after the confirm dialog. <paramref name="idPrefix"/> keeps the ids apart when a page
    /// holds the actions of several farms (the controller's server page).
    /// </summary>
    public static void ServerActions(StringBuilder html, string farm, string name, int weight, string idPrefix)
    {
        var api = $"/dashboard/api/farms/{Segment(farm)}/servers/{Segment(name)}";
        html.Append("<div class=\"buttons\">");
        Action(html, idPrefix + "drain", "Drain", "POST", api + "/drain", $"Drain {name} in farm {farm}? It takes no new requests; requests in flight finish.");
        Action(html, idPrefix + "online", "Online", "POST", api + "/online", $"Bring {name} online in farm {farm}? It takes requests again once healthy.");
        Action(html, idPrefix + "offline-drain", "Offline (after drain)", "POST", api + "/offline?drain=true", $"Take {name} offline in farm {farm} after its requests in flight finish?");
        Action(html, idPrefix + "offline", "Offline now", "POST", api + "/offline", $"Take {name} offline in farm {farm} now? It takes no new requests; requests in flight finish.");
        Action(html, idPrefix + "verify", "Verify now", "POST", api + "/verify", $"Run a health check of {name} in farm {farm} now? (It does not change its state.)");
        html.Append("</div><form class=\"weight\" data-url=\"").Append(api).Append("/weight\"><label for=\"").Append(idPrefix).Append("weight-input\">Weight</label> <input id=\"").Append(idPrefix)
            .Append("weight-input\" name=\"weight\" type=\"number\" min=\"0\" max=\"10000\" step=\"1\" required value=\"").Append(weight).Append("\"> <button type=\"submit\">Set weight</button></form>");
    }

    private static void Action(StringBuilder html, string id, string text, string method, string url, string question)
        => html.Append("<button type=\"button\" id=\"action-").Append(id).Append("\" data-method=\"").Append(method).Append("\" data-url=\"").Append(Encode(url))
            .Append("\" data-confirm=\"").Append(Encode(question)).Append("\">").Append(text).Append("</button>");
}
