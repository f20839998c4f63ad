using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using WebFarm.Balancer.Admin;
using static WebFarm.Balancer.Dashboard.DashboardResponses;

namespace WebFarm.Balancer.Dashboard;

/// <summary>
/// What every dashboard serves besides its pages: "/" to the dashboard, the login form (rate-limited by
/// <see cref="AdminAccess.Throttle"/>), logout and the embedded assets. The balancer's admin listener and the
/// controller's API listener map these once each.
/// </summary>
internal static class DashboardShellEndpoints
{
    public static void Map(WebApplication app, AdminAccess access, DashboardSite site)
    {
        var assets = new DashboardAssets();
        var sessions = access.Sessions;
        app.MapGet("/", context => Redirect(context, "/dashboard/"));
        app.MapGet("/dashboard/login", context => access.TokenRequired
            ? WriteHtml(context, StatusCodes.Status200OK, DashboardHtml.Page(site, "Log in", "login", null, false, DashboardPages.Login(site, null)))
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

            var client = context.Connection.RemoteIpAddress;
            if (access.Throttle.RetryAfter(client) is { } wait)
            {
                context.Response.Headers.RetryAfter = LoginThrottle.Seconds(wait);
                var message = LoginThrottle.Message(client, wait);
                message = char.ToUpperInvariant(message[0]) + message[1..] + ".";
                await WriteHtml(context, StatusCodes.Status429TooManyRequests, DashboardHtml.Page(site, "Log in", "login", null, false, DashboardPages.Login(site, message)));
                return;
            }

            var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted) : null;
            var token = form?["token"].ToString();
            if (string.IsNullOrEmpty(token) || !access.Matches(token))
            {
                if (!string.IsNullOrEmpty(token))
                {
                    access.Throttle.RecordFailure(client);
                }

                var error = string.IsNullOrEmpty(token) ? "Enter the admin token." : $"That is not this {site.Product}'s admin token.";
                // The form again with the reason, as 200: a 401 document is logged as an error in the browser's console.
                await WriteHtml(context, StatusCodes.Status200OK, DashboardHtml.Page(site, "Log in", "login", null, false, DashboardPages.Login(site, error)));
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
}
