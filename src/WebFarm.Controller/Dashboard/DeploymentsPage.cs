using Microsoft.AspNetCore.Routing;

namespace WebFarm.Controller.Dashboard;

/// <summary>
/// The deployments page. It is written against the deployment engine's API (GET /api/deployments, GET
/// /api/deployments/{id}: id, app, release, previousRelease, strategy, state, startedAt, finishedAt, error and
/// servers: server, phase, phaseSince, release, error, output); a controller that has no such endpoint says so
/// instead of showing an empty list. Whether it has one is asked of the API's own routes, not by a request that
/// would fail (a 404 in the browser is a console error).
/// </summary>
internal static class DeploymentsPage
{
    public const string ApiPath = "/api/deployments";

    public static string Body(EndpointDataSource endpoints)
    {
        if (!HasApi(endpoints))
        {
            return "<h1>Deployments</h1><p id=\"deployments-missing\" role=\"status\">No deployments API on this controller: this version of WebFarm does not roll releases out yet. "
                + "Releases are uploaded and installed with <code>webfarm deploy</code> (see docs/deployments.md).</p>";
        }

        return "<h1>Deployments</h1><p>Each deployment's progress per server, refreshed every 2 s; the newest first.</p>"
            + "<div id=\"deployments\" data-api=\"/dashboard" + ApiPath + "\" aria-live=\"polite\" aria-busy=\"true\"></div>";
    }

    private static bool HasApi(EndpointDataSource endpoints)
    {
        foreach (var endpoint in endpoints.Endpoints)
        {
            if (endpoint is RouteEndpoint route && string.Equals(route.RoutePattern.RawText?.TrimEnd('/'), ApiPath, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
