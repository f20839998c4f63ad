using Microsoft.Extensions.Logging;
using WebFarm.Controller.Agents;
using WebFarm.Controller.Apps;
using WebFarm.Controller.Availability;
using WebFarm.Controller.Commands;
using WebFarm.Controller.Deployments;
using WebFarm.Controller.Load;
using WebFarm.Controller.Releases;
using WebFarm.Controller.Rotation;
using WebFarm.Controller.Store;
using WebFarm.Controller.Trace;

namespace WebFarm.Controller.Hosting;

/// <summary>
/// What only the leading controller runs: the agent registry (heartbeats, lost detection, putting servers in and out
/// of the balancer's rotation), the apps (their farms, rolling restarts, deployments of their releases), the merged
/// trace, `webfarm run`'s commands, availability recording and load-driven weights. Started when the controller takes the leader lock,
/// disposed when it steps down; a standby has none, so it never marks a server lost, touches a balancer or records
/// downtime.
/// </summary>
public sealed class LeaderRole : IAsyncDisposable
{
    private LeaderRole(AgentRegistry agents, AppCatalog apps, TraceStore trace, FarmRotation rotation, AvailabilityMonitor availability, DeploymentEngine deployments, LoadWeights loadWeights)
    {
        Deployments = deployments;
        LoadWeights = loadWeights;
        Agents = agents;
        Apps = apps;
        Trace = trace;
        Availability = availability;
        Restart = new RollingRestart(agents, apps, rotation);
        Commands = agents.Commands!;
    }

    public AgentRegistry Agents { get; }

    public AppCatalog Apps { get; }

    public TraceStore Trace { get; }

    public RollingRestart Restart { get; }

    public CommandDispatcher Commands { get; }

    public AvailabilityMonitor Availability { get; }

    /// <summary>Rolling deployments and rollbacks of the apps' releases.</summary>
    public DeploymentEngine Deployments { get; }

    /// <summary>Load-driven weights of the apps that ask for them.</summary>
    public LoadWeights LoadWeights { get; }

    public static async Task<LeaderRole> StartAsync(IControllerStore store, FarmRotation rotation, ReleaseLibrary releases, ControllerOptions options, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var logger = loggerFactory.CreateLogger("WebFarm.Controller");
        var apps = new AppCatalog(store, rotation, options);
        await apps.StartAsync(cancellationToken).ConfigureAwait(false);
        var trace = new TraceStore();
        var agents = new AgentRegistry(store, rotation, apps, releases, trace, options, logger);
        agents.Commands = new CommandDispatcher(agents);
        AvailabilityMonitor? availability = null;
        var deployments = new DeploymentEngine(agents, apps, rotation, releases, store, trace, logger);
        try
        {
            // Before the agents heartbeat: their desired apps name the release each server serves.
            await deployments.RecoverAsync(cancellationToken).ConfigureAwait(false);
            await agents.StartAsync(cancellationToken).ConfigureAwait(false);
            availability = new AvailabilityMonitor(agents, rotation, new AvailabilityRecorder(store), options.AvailabilitySampleInterval, options.HeartbeatInterval * options.MissedHeartbeats, logger);
            await availability.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (availability is not null)
            {
                await availability.DisposeAsync().ConfigureAwait(false);
            }

            await agents.DisposeAsync().ConfigureAwait(false);
            await deployments.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var loadWeights = new LoadWeights(rotation.Runtime, () => apps.Apps, agents.CpuPercentOf);
        loadWeights.Start(options.LoadWeightInterval, logger);
        return new LeaderRole(agents, apps, trace, rotation, availability, deployments, loadWeights);
    }

    public async ValueTask DisposeAsync()
    {
        await Deployments.DisposeAsync().ConfigureAwait(false);
        await LoadWeights.DisposeAsync().ConfigureAwait(false);
        await Availability.DisposeAsync().ConfigureAwait(false);
        await Agents.DisposeAsync().ConfigureAwait(false);
    }
}
