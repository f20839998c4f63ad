namespace WebFarm.Controller.Dashboard;

/// <summary>
/// The deployments page: a shell the dashboard's script fills from the deployment engine's API (GET /api/deployments,
/// through the dashboard's cookie-authenticated path: id, app, kind, release, previousRelease, strategy, state,
/// startedAt, finishedAt, error and servers: server, phase, phaseSince, release, error, output), refreshed every 2 s.
/// </summary>
internal static class DeploymentsPage
{
    public const string ApiPath = "/api/deployments";

    public static string Body()
        => "<h1>Deployments</h1><p>Each deployment's progress per server, refreshed every 2 s; the newest first.</p>"
            + "<div id=\"deployments\" data-api=\"/dashboard" + ApiPath + "\" aria-live=\"polite\" aria-busy=\"true\"></div>";
}
