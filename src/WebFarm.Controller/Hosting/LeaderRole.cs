using Microsoft.Extensions.Logging;
using WebFarm.Controller.Agents;
using WebFarm.Controller.Availability;
using WebFarm.Controller.Rotation;
using WebFarm.Controller.Store;

namespace WebFarm.Controller.Hosting;

/// <summary>
/// What only the leading controller runs: the agent registry (heartbeats, lost detection, putting servers in and out
/// of the balancer's rotation) and availability recording. Started when the controller takes the leader lock,
/// disposed when it steps down; a standby has none, so it never marks a server lost, touches a balancer or records
/// downtime.
/// </summary>
public sealed class LeaderRole : IAsyncDisposable
{
    private LeaderRole(AgentRegistry agents, AvailabilityMonitor availability)
    {
        Agents = agents;
        Availability = availability;
    }

    public AgentRegistry Agents { get; }

    public AvailabilityMonitor Availability { get; }

    public static async Task<LeaderRole> StartAsync(IControllerStore store, FarmRotation rotation, ControllerOptions options, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var logger = loggerFactory.CreateLogger("WebFarm.Controller");
        var agents = new AgentRegistry(store, rotation, options, logger);
        AvailabilityMonitor? availability = null;
        try
        {
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
            throw;
        }

        return new LeaderRole(agents, availability);
    }

    public async ValueTask DisposeAsync()
    {
        await Availability.DisposeAsync().ConfigureAwait(false);
        await Agents.DisposeAsync().ConfigureAwait(false);
    }
}
