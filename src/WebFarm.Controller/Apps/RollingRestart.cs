using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using WebFarm.Controller.Agents;
using WebFarm.Controller.Api;
using WebFarm.Controller.Rotation;

namespace WebFarm.Controller.Apps;

/// <summary>
/// `webfarm apps restart NAME`: one server at a time, the instance is drained in the app's farm (no new requests,
/// those in flight finish), its agent restarts it (a new restart token in its desired apps), and once the agent
/// reports the new process healthy it comes back in (slow start) and the balancer's own check passes, before the
/// next server starts. The other servers carry the traffic meanwhile, so no request fails. A server whose new
/// instance does not become healthy in time stops the restart there (the remaining servers keep their instances).
/// </summary>
public sealed class RollingRestart(AgentRegistry registry, AppCatalog catalog, FarmRotation rotation)
{
    private readonly ConcurrentDictionary<string, bool> _running = new(StringComparer.Ordinal);

    /// <summary>How long draining may take before the restart goes on (requests still in flight then fail).</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a restarted instance has to be healthy again (the agent's report, then the balancer's check).</summary>
    public TimeSpan HealthyTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <exception cref="ApiException">404 for an unknown app; 409 when a restart of it already runs.</exception>
    public async Task<List<RestartStep>> RunAsync(string appName, CancellationToken cancellationToken)
    {
        var app = catalog.Get(appName);
        if (!_running.TryAdd(app.Name, true))
        {
            throw new ApiException(409, $"a rolling restart of app '{app.Name}' is already running");
        }

        try
        {
            var steps = new List<RestartStep>();
            foreach (var name in registry.Names.Order(StringComparer.Ordinal))
            {
                if (registry.Find(name) is not { } server || !app.RunsOn(name, server.CurrentLabels()))
                {
                    continue;
                }

                var step = await RestartOneAsync(app, server, cancellationToken).ConfigureAwait(false);
                steps.Add(step);
                if (step.Outcome == "failed")
                {
                    break;
                }
            }

            return steps;
        }
        finally
        {
            _running.TryRemove(app.Name, out _);
        }
    }

    private async Task<RestartStep> RestartOneAsync(AppDefinition app, TrackedServer server, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        lock (server.Lock)
        {
            if (server.State == AgentState.Lost)
            {
                return new RestartStep(server.Name, "skipped", "its agent is lost", 0);
            }

            if (!server.Instances.Any(i => i.App == app.Name))
            {
                return new RestartStep(server.Name, "skipped", "its agent reports no instance of the app yet", 0);
            }

            server.Held.Add(app.Name); // The heartbeat must not bring it back in while it restarts.
            server.InRotation.Remove(app.Name);
        }

        try
        {
            await rotation.DrainAsync(app.Name, server.Name, DrainTimeout, cancellationToken).ConfigureAwait(false);
            var token = catalog.RequestRestart(app.Name, server.Name);
            var report = await WaitAsync(
                () =>
                {
                    lock (server.Lock)
                    {
                        return server.Instances.FirstOrDefault(i => i.App == app.Name && i.RestartToken == token && i.Healthy && i.ProcessId is not null);
                    }
                },
                cancellationToken).ConfigureAwait(false);
            if (report is null)
            {
                return Step(server.Name, "failed", $"the restarted instance did not report healthy within {HealthyTimeout.TotalSeconds:0} s; the restart stops here", started);
            }

            lock (server.Lock)
            {
                rotation.BringIn(app.Name, server.Name, InstanceRotation.AddressOf(server.Address, report.Port));
                server.InRotation.Add(app.Name);
                server.Held.Remove(app.Name);
            }

            // The balancer's own check must pass too before the next server leaves rotation.
            var available = await WaitAsync(() => rotation.Runtime.GetFarm(app.Name).FindServer(server.Name) is { Healthy: true } s ? s : null, cancellationToken).ConfigureAwait(false);
            return available is null
                ? Step(server.Name, "failed", $"pid {report.ProcessId} on port {report.Port} answers its agent, but not the balancer's check within {HealthyTimeout.TotalSeconds:0} s; the restart stops here", started)
                : Step(server.Name, "restarted", string.Create(CultureInfo.InvariantCulture, $"pid {report.ProcessId} on port {report.Port}, back in rotation"), started);
        }
        finally
        {
            lock (server.Lock)
            {
                server.Held.Remove(app.Name); // On failure, the heartbeat brings it in once its agent reports it healthy.
            }
        }
    }

    private Task<T?> WaitAsync<T>(Func<T?> condition, CancellationToken cancellationToken)
        where T : class
        => RotationWait.UntilAsync(condition, HealthyTimeout, cancellationToken);

    private static RestartStep Step(string server, string outcome, string detail, long started)
        => new(server, outcome, detail, Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 1));
}
