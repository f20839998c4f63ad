using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Dashboard;

namespace WebFarm.Balancer.Admin;

/// <summary>
/// Who may do what on the admin listener, in one place:
/// <list type="bullet">
/// <item>GET /healthz: anyone (it says only whether the process serves and is not stopping).</item>
/// <item>/api and /metrics: the bearer token when one is configured. A state-changing request that comes from a
/// browser (it has an Origin or a Sec-Fetch-Site other than "none") and has no valid bearer token is refused, so a
/// web page cannot drain a server through a loopback admin API that has no token.</item>
/// <item>/dashboard: the login cookie when a token is configured (pages redirect to the login form, data answers
/// 401), none otherwise; every state-changing request needs the session's CSRF token in X-WebFarm-Csrf. The
/// dashboard reaches the API as /dashboard/api/..., which is rewritten to /api/... once allowed, so the cookie can
/// stay scoped to /dashboard.</item>
/// <item>Wrong tokens, as a bearer token or on the login form, count against the client in <see cref="Throttle"/>: past
/// its limit the client gets 429 with Retry-After instead of an answer to its token.</item>
/// </list>
/// The balancer's admin listener and the controller's API (which passes its agents' own endpoints by) both use it.
/// </summary>
/// <param name="bearerHint">How to present the token, for the 401 message.</param>
internal sealed class AdminAccess(AdminTokenCheck? check, DashboardSessions sessions, LoginThrottle throttle, string bearerHint = "Authorization: Bearer <token>")
{
    public const string DashboardApiPrefix = "/dashboard/api";

    /// <summary>The liveness endpoint, open without a token.</summary>
    public const string HealthPath = "/healthz";

    public bool TokenRequired => check is not null;

    public DashboardSessions Sessions => sessions;

    public LoginThrottle Throttle => throttle;

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

            if (path == HealthPath && !changesState)
            {
                return true; // Liveness only, no data: keepalived's track script (`webfarm vip check`) has no token.
            }

            var bearer = false;
            if (check is not null)
            {
                var presented = AdminTokenCheck.PresentedToken(request);
                var client = context.Connection.RemoteIpAddress;
                if (presented is not null && throttle.RetryAfter(client) is { } wait)
                {
                    await WriteThrottled(context, wait);
                    return false;
                }

                bearer = presented is not null && check.Matches(presented);
                if (!bearer)
                {
                    if (presented is not null)
                    {
                        throttle.RecordFailure(client);
                    }

                    await AdminHttp.WriteUnauthorized(context, $"a valid bearer token is required ({bearerHint})");
                    return false;
                }
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

    /// <summary>429 Too Many Requests with Retry-After in whole seconds and the reason.</summary>
    public static Task WriteThrottled(HttpContext context, TimeSpan wait)
    {
        context.Response.Headers.RetryAfter = LoginThrottle.Seconds(wait);
        return AdminHttp.WriteError(context, StatusCodes.Status429TooManyRequests, LoginThrottle.Message(context.Connection.RemoteIpAddress, wait));
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
