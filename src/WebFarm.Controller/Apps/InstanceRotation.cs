using WebFarm.Agent.Control;
using WebFarm.Balancer.Farms;
using WebFarm.Controller.Agents;
using WebFarm.Controller.Releases;
using WebFarm.Controller.Rotation;

namespace WebFarm.Controller.Apps;

/// <summary>
/// "Ready for load balancing", per app instance: a server joins its app's farm (slow start) once its agent heartbeats
/// and reports the instance healthy; an instance whose process is gone is marked failed at once (the farm's own
/// health checks bring it back); a lost agent takes all its instances out. A server comes in only once it holds the
/// newest version of every content set (a joining or returning server gets the farm's content before its first
/// request; its release is installed by then, as its instance runs from it). Called under the server's lock.
/// </summary>
internal sealed class InstanceRotation(FarmRotation rotation, AppCatalog catalog, ReleaseLibrary releases)
{
    /// <summary>The instance's address as the balancer reaches it: the server's joined address with the instance's port.</summary>
    public static string AddressOf(string serverAddress, int port) => new UriBuilder(serverAddress) { Port = port, Path = string.Empty }.Uri.GetLeftPart(UriPartial.Authority);

    /// <summary>Takes in the healthy instances the heartbeat reports, marks failed those whose process is gone.</summary>
    /// <returns>The apps that came into rotation with this heartbeat.</returns>
    public List<string> Observe(TrackedServer server, IReadOnlyList<InstanceReport> reports)
    {
        var added = new List<string>();
        server.Instances = reports;
        server.InRotation.RemoveWhere(app => catalog.Find(app) is null); // Removed apps took their farm with them.
        if (server.State == AgentState.Lost)
        {
            return added;
        }

        foreach (var report in reports)
        {
            var app = catalog.Find(report.App);
            if (app is null || !app.RunsOn(server.Name, server.Labels) || server.Held.Contains(app.Name) || report.Port == 0)
            {
                continue;
            }

            if (app.RunsReleases && catalog.Releases.For(app.Name, server.Name)?.Serving != report.Release)
            {
                // Another release's instance (a deployment's new one, or an old one stopping): the deployment decides;
                // but a staged one its agent restarted is followed in the stage farm, as the app's farm follows its own.
                if (catalog.Releases.Staged(app.Name, server.Name) == report.Release)
                {
                    FollowStaged(app.Name, server, report);
                }

                continue;
            }

            var address = AddressOf(server.Address, report.Port);
            if (report.Healthy)
            {
                if (!server.InRotation.Contains(app.Name) || AddressChanged(app.Name, server.Name, address))
                {
                    if (releases.LacksContent(server.Name) is { } lacking)
                    {
                        server.Detail = $"not ready for load balancing: {lacking}";
                        continue; // A later heartbeat brings it in once its agent reports the content installed.
                    }

                    rotation.BringIn(app.Name, server.Name, address);
                    server.InRotation.Add(app.Name);
                    added.Add(app.Name);
                }
            }
            else if (report.ProcessId is null && server.InRotation.Contains(app.Name) && Find(app.Name, server.Name) is { Healthy: true })
            {
                // Crashed: out now rather than after the health checks' fall count; they bring it back.
                rotation.Runtime.SetHealth(app.Name, server.Name, healthy: false, $"its agent reports the instance {report.State}: {report.Detail}");
            }
        }

        return added;
    }

    /// <summary>
    /// A staged instance (`webfarm deploy --stage`) its agent restarted: healthy on another port, the stage farm's entry
    /// moves to it; its process gone, the entry is marked failed at once. Only an entry the stage already put in the stage
    /// farm is followed: while the stage starts, or once a promote took the farm away, the deployment decides.
    /// </summary>
    private void FollowStaged(string app, TrackedServer server, InstanceReport report)
    {
        var farm = FarmRotation.StageFarmOf(app);
        if (Find(farm, server.Name) is not { } entry)
        {
            return;
        }

        var address = AddressOf(server.Address, report.Port);
        if (report.Healthy)
        {
            if (AddressChanged(farm, server.Name, address))
            {
                rotation.BringIn(farm, server.Name, address);
            }
        }
        else if (report.ProcessId is null && entry.Healthy)
        {
            rotation.Runtime.SetHealth(farm, server.Name, healthy: false, $"its agent reports the staged instance {report.State}: {report.Detail}");
        }
    }

    /// <summary>Takes every app instance of a lost server out of rotation (offline: requests in flight finish).</summary>
    public void TakeAllOut(TrackedServer server)
    {
        foreach (var app in server.InRotation)
        {
            rotation.TakeOut(app, server.Name);
        }

        server.InRotation.Clear();
    }

    /// <summary>The balancer's server of <paramref name="app"/>'s farm named <paramref name="server"/>, null when it is not there.</summary>
    public ServerRuntime? Find(string app, string server)
        => rotation.Runtime.Farms.TryGetValue(app, out var farm) ? farm.FindServer(server) : null;

    private bool AddressChanged(string farm, string server, string address)
        => Find(farm, server) is { } existing && !string.Equals(existing.Address.ToString().TrimEnd('/'), address, StringComparison.OrdinalIgnoreCase);
}
