using Microsoft.Extensions.Logging;
using WebFarm.Controller.Agents;
using WebFarm.Controller.Rotation;
using WebFarm.Controller.Store;

namespace WebFarm.Controller.Hosting;

/// <summary>
/// What only the leading controller runs: the agent registry (heartbeats, lost detection, putting servers in and out
/// of the balancer's rotation). Started when the controller takes the leader lock, disposed when it steps down; a
/// standby has none, so it never marks a server lost nor touches a balancer.
/// </summary>
public sealed class LeaderRole : IAsyncDisposable
{
    private LeaderRole(AgentRegistry agents)
    {
        Agents = agents;
    }

    public AgentRegistry Agents { get; }

    public static async Task<LeaderRole> StartAsync(IControllerStore store, FarmRotation rotation, ControllerOptions options, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var agents = new AgentRegistry(store, rotation, options, loggerFactory.CreateLogger("WebFarm.Controller"));
        try
        {
            await agents.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await agents.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new LeaderRole(agents);
    }

    public ValueTask DisposeAsync() => Agents.DisposeAsync();
}
