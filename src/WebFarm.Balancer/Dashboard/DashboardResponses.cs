using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Admin;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Events;

namespace WebFarm.Balancer.Dashboard;

/// <summary>
/// How every dashboard answers (the balancer's and the controller's): pages framed by <see cref="DashboardHtml"/> with
/// the session's CSRF token, fragments, the security headers, no caching, and the query values pages share.
/// </summary>
internal static class DashboardResponses
{
    public static Task WritePage(HttpContext context, AdminAccess access, DashboardSite site, string title, string page, string body, string bodyAttributes = "")
    {
        // Without a token there is no login, but the page still needs a session for its CSRF token.
        var session = access.Sessions.Find(context.Request) ?? access.Sessions.Start(context);
        return WriteHtml(context, StatusCodes.Status200OK, DashboardHtml.Page(site, title, page, session.CsrfToken, access.TokenRequired, body, bodyAttributes));
    }

    public static Task WriteHtml(HttpContext context, int status, string html)
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

    public static Task WriteFragment(HttpContext context, string html, string? structure = null)
    {
        if (structure is not null)
        {
            context.Response.Headers["X-WebFarm-Structure"] = structure;
        }

        return WriteHtml(context, StatusCodes.Status200OK, html);
    }

    /// <summary>GET /dashboard/data/cells: the structure (names of what the tables list) and every cell's text and class.</summary>
    public static Task WriteCells(HttpContext context, string structure, Dictionary<string, DashboardCells.Cell> cells)
    {
        var text = new Dictionary<string, string>(cells.Count, StringComparer.Ordinal);
        var classes = new Dictionary<string, string>(cells.Count, StringComparer.Ordinal);
        foreach (var (key, cell) in cells)
        {
            text[key] = cell.Text;
            classes[key] = cell.Class;
        }

        NoStore(context);
        return AdminHttp.WriteJson(context, new DashboardCellsData(structure, text, classes));
    }

    public static void NoStore(HttpContext context) => context.Response.Headers.CacheControl = "no-store";

    public static Task Redirect(HttpContext context, string location)
    {
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
        context.Response.Headers.Location = location;
        return Task.CompletedTask;
    }

    /// <summary>
    /// The kebab-case event kinds, for the script's SSE listeners (the stream names each event by its kind), and the
    /// latest event's sequence, from which the script asks for the backlog its lists show.
    /// </summary>
    public static string Live(EventStream events)
    {
        var names = new List<string>();
        foreach (var kind in Enum.GetValues<EventKind>())
        {
            names.Add(EventKindNames.ToKebabCase(kind));
        }

        return $" data-kinds=\"{string.Join(' ', names)}\" data-last-event=\"{events.LastSequence}\"";
    }

    /// <summary>?period= as a duration ("24h", "7d"; 1 minute to 366 days); 24h by default.</summary>
    public static string Period(HttpContext context, out TimeSpan period)
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

    public static string Route(HttpContext context, string name) => (string)context.Request.RouteValues[name]!;
}
