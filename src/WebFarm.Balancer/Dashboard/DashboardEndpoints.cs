using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using WebFarm.Balancer.Admin;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;

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
        var assets = new DashboardAssets();
        var sessions = access.Sessions;
        app.MapGet("/", context => Redirect(context, "/dashboard/"));
        app.MapGet("/dashboard/", context => WritePage(context, access, "Overview", "overview", DashboardPages.Overview(runtime, history), Live(runtime)));
        app.MapGet("/dashboard/farms/{farm}/servers/{server}", context =>
        {
            var server = runtime.GetServer(Route(context, "farm"), Route(context, "server"));
            return WritePage(context, access, $"{server.Name} ({server.Farm})", "server", DashboardPages.Server(runtime, server, history), Live(runtime));
        });
        app.MapGet("/dashboard/events", context => WritePage(context, access, "Events", "events", DashboardPages.Events(runtime), Live(runtime)));
        app.MapGet("/dashboard/availability", context =>
        {
            var period = Period(context, out _);
            return WritePage(context, access, "Availability", "availability", DashboardPages.Availability(period));
        });

        app.MapGet("/dashboard/login", context => access.TokenRequired
            ? WriteHtml(context, StatusCodes.Status200OK, DashboardHtml.Page("Log in", "login", null, false, DashboardPages.Login(null)))
            : Redirect(context, "/dashboard/"));
        app.MapPost("/dashboard/login", async context =>
        {
            if (!access.TokenRequired)
            {
                await Redirect(context, "/dashboard/");
                return;
            }

            if (!SameOrigin(context.Request))
            {
                await AdminHttp.WriteError(context, StatusCodes.Status403Forbidden, "Origin: a login must come from the dashboard's own login form");
                return;
            }

            var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted) : null;
            var token = form?["token"].ToString();
            if (string.IsNullOrEmpty(token) || !access.Matches(token))
            {
                var error = string.IsNullOrEmpty(token) ? "Enter the admin token." : "That is not this balancer's admin token.";
                // The form again with the reason, as 200: a 401 document is logged as an error in the browser's console.
                await WriteHtml(context, StatusCodes.Status200OK, DashboardHtml.Page("Log in", "login", null, false, DashboardPages.Login(error)));
                return;
            }

            sessions.Start(context);
            context.Response.StatusCode = StatusCodes.Status303SeeOther;
            context.Response.Headers.Location = "/dashboard/";
        });
        app.MapPost("/dashboard/logout", context =>
        {
            sessions.End(context);
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return Task.CompletedTask;
        });

        app.MapGet("/dashboard/data/cells", context =>
        {
            var cells = DashboardCells.All(runtime, history);
            var text = new Dictionary<string, string>(cells.Count, StringComparer.Ordinal);
            var classes = new Dictionary<string, string>(cells.Count, StringComparer.Ordinal);
            foreach (var (key, cell) in cells)
            {
                text[key] = cell.Text;
                classes[key] = cell.Class;
            }

            NoStore(context);
            return AdminHttp.WriteJson(context, new { structure = DashboardCells.Structure(runtime), cells = text, classes });
        });
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
        app.MapGet("/dashboard/assets/{name}", async context =>
        {
            if (!assets.TryGet(Route(context, "name"), out var asset))
            {
                await AdminHttp.WriteError(context, StatusCodes.Status404NotFound, $"no dashboard asset {Route(context, "name")}");
                return;
            }

            context.Response.Headers.ETag = asset.ETag;
            context.Response.Headers.CacheControl = "no-cache";
            context.Response.Headers.XContentTypeOptions = "nosniff";
            if (context.Request.Headers.IfNoneMatch == asset.ETag)
            {
                context.Response.StatusCode = StatusCodes.Status304NotModified;
                return;
            }

            context.Response.ContentType = asset.ContentType;
            await context.Response.Body.WriteAsync(asset.Bytes, context.RequestAborted);
        });
    }

    /// <summary>
    /// The kebab-case event kinds, for the script's SSE listeners (the stream names each event by its kind), and the
    /// latest event's sequence, from which the script asks for the backlog its lists show.
    /// </summary>
    private static string Live(BalancerRuntime runtime)
    {
        var names = new List<string>();
        foreach (var kind in Enum.GetValues<Events.EventKind>())
        {
            names.Add(Events.EventKindNames.ToKebabCase(kind));
        }

        return $" data-kinds=\"{string.Join(' ', names)}\" data-last-event=\"{runtime.Events.LastSequence}\"";
    }

    private static Task WritePage(HttpContext context, AdminAccess access, string title, string page, string body, string bodyAttributes = "")
    {
        // Without a token there is no login, but the page still needs a session for its CSRF token.
        var session = access.Sessions.Find(context.Request) ?? access.Sessions.Start(context);
        return WriteHtml(context, StatusCodes.Status200OK, DashboardHtml.Page(title, page, session.CsrfToken, access.TokenRequired, body, bodyAttributes));
    }

    private static Task WriteHtml(HttpContext context, int status, string html)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.ContentSecurityPolicy = DashboardHtml.ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.XFrameOptions = "DENY";
        // "same-origin", not "no-referrer": with no-referrer chromium sends "Origin: null" on the login form's POST.
        response.Headers["Referrer-Policy"] = "same-origin";
        NoStore(context);
        return response.WriteAsync(html, context.RequestAborted);
    }

    private static Task WriteFragment(HttpContext context, string html, string? structure = null)
    {
        if (structure is not null)
        {
            context.Response.Headers["X-WebFarm-Structure"] = structure;
        }

        return WriteHtml(context, StatusCodes.Status200OK, html);
    }

    private static void NoStore(HttpContext context) => context.Response.Headers.CacheControl = "no-store";

    private static Task Redirect(HttpContext context, string location)
    {
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
        context.Response.Headers.Location = location;
        return Task.CompletedTask;
    }

    /// <summary>?period= as a duration ("24h", "7d"; 1 minute to 366 days); 24h by default.</summary>
    private static string Period(HttpContext context, out TimeSpan period)
    {
        var values = context.Request.Query["period"];
        var text = values.Count == 0 ? "24h" : values[0] ?? string.Empty;
        if (values.Count > 1 || !DurationParser.TryParse(text, out period, out _))
        {
            throw new AdminRequestException($"period: expected a duration like 1h, 24h or 7d, got \"{values}\"");
        }

        if (period < TimeSpan.FromMinutes(1) || period > TimeSpan.FromDays(366))
        {
            throw new AdminRequestException($"period: {text} is out of range (1m to 366d)");
        }

        return text;
    }

    /// <summary>No Origin (a same-origin form in some browsers) or an Origin naming this listener.</summary>
    private static bool SameOrigin(HttpRequest request)
    {
        var origin = request.Headers.Origin;
        if (origin.Count == 0)
        {
            return true;
        }

        return string.Equals(origin[0], $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase);
    }

    private static string Route(HttpContext context, string name) => (string)context.Request.RouteValues[name]!;
}
