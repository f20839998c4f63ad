namespace WebFarm.Controller.Dashboard;

/// <summary>
/// The deployments page: a shell the dashboard's script fills from the deployment engine's API (GET /api/deployments,
/// through the dashboard's cookie-authenticated path: id, app, kind, release, previousRelease, strategy, state,
/// startedAt, finishedAt, error and servers: server, phase, phaseSince, release, error, output), read again on every
/// deployment event of the controller's stream (each phase change is a server-updated event), so it follows a running
/// deployment live; every 10 s as well, in case the stream is reconnecting.
/// </summary>
internal static class DeploymentsPage
{
    public const string ApiPath = "/api/deployments";

    public static string Body()
        => "<h1>Deployments</h1><p>Each deployment's progress per server, live: every phase change shows as it happens; the newest first. A failed server shows its error and the app's last output lines.</p>"
            + "<div id=\"deployments\" data-api=\"/dashboard" + ApiPath + "\" aria-live=\"polite\" aria-busy=\"true\"></div>";
}
