using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Dashboard;

namespace WebFarm.Balancer.Admin;

/// <summary>
/// Who may do what on the admin listener, in one place:
/// <list type="bullet">
/// <item>/api and /metrics: the bearer token when one is configured. A state-changing request that comes from a
/// browser (it has an Origin or a Sec-Fetch-Site other than "none") and has no valid bearer token is refused, so a
/// web page cannot drain a server through a loopback admin API that has no token.</item>
/// <item>/dashboard: the login cookie when a token is configured (pages redirect to the login form, data answers
/// 401), none otherwise; every state-changing request needs the session's CSRF token in X-WebFarm-Csrf. The
/// dashboard reaches the API as /dashboard/api/..., which is rewritten to /api/... once allowed, so the cookie can
/// stay scoped to /dashboard.</item>
/// </list>
/// </summary>
internal sealed class AdminAccess(AdminTokenCheck? check, DashboardSessions sessions)
{
    public const string DashboardApiPrefix = "/dashboard/api";

    public bool TokenRequired => check is not null;

    public DashboardSessions Sessions => sessions;

    /// <summary>True when <paramref name="token"/> is the admin token (the login form); true for anything without one.</summary>
    public bool Matches(string token) => check?.Matches(token) ?? true;

    /// <summary>Lets the request through (true) or answers it (false).</summary>
    public async Task<bool> AllowAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path;
        var changesState = !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method));
        if (!path.StartsWithSegments("/dashboard", StringComparison.Ordinal))
        {
            if (path == "/" && !changesState)
            {
                return true; // Redirects to the dashboard, which asks for the login itself.
            }

            var bearer = check is not null && check.IsAuthorized(request);
            if (check is not null && !bearer)
            {
                await AdminHttp.WriteUnauthorized(context, "a valid bearer token is required (Authorization: Bearer <token>)");
                return false;
            }

            if (changesState && !bearer && FromBrowser(request))
            {
                await AdminHttp.WriteError(context, StatusCodes.Status403Forbidden, "a browser may change state only through the dashboard (with its CSRF token) or with the bearer token");
                return false;
            }

            return true;
        }

        if (path.StartsWithSegments("/dashboard/assets", StringComparison.Ordinal) || path.StartsWithSegments("/dashboard/login", StringComparison.Ordinal))
        {
            return true; // Public: the login form, and scripts and styles that hold nothing secret.
        }

        var session = sessions.Find(request);
        var api = path.StartsWithSegments(DashboardApiPrefix, StringComparison.Ordinal, out var rest);
        if (check is not null && session is null)
        {
            if (api || changesState)
            {
                await AdminHttp.WriteError(context, StatusCodes.Status401Unauthorized, "log in to the dashboard first (POST /dashboard/login)");
            }
            else
            {
                context.Response.Redirect("/dashboard/login");
            }

            return false;
        }

        if (changesState && (session is null || !DashboardSessions.HasCsrfToken(request, session)))
        {
            await AdminHttp.WriteError(context, StatusCodes.Status403Forbidden, $"{DashboardSessions.CsrfHeader}: the dashboard's CSRF token is missing or wrong (reload the page)");
            return false;
        }

        if (api)
        {
            request.Path = "/api" + rest;
        }

        return true;
    }

    /// <summary>Browsers send Origin on cross-origin and state-changing requests and Sec-Fetch-Site on all; the CLI and curl send neither.</summary>
    private static bool FromBrowser(HttpRequest request)
    {
        if (request.Headers.Origin.Count > 0)
        {
            return true;
        }

        var site = request.Headers["Sec-Fetch-Site"];
        return site.Count > 0 && !string.Equals(site[0], "none", StringComparison.OrdinalIgnoreCase);
    }
}
