using WebFarm.Balancer.Farms;
using WebFarm.Controller.Tests.Infrastructure;

namespace WebFarm.Controller.Tests.Agents;

/// <summary>Ready for load balancing, lost and rejoined on loopback (the same rules the multi-machine test checks across namespaces).</summary>
public sealed class RotationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_server_enters_rotation_only_once_healthy_leaves_it_when_its_agent_stops_heartbeating_and_returns_when_it_is_back()
    {
        await using var controller = await TestController.StartAsync(_dir.Sub("controller"));
        await using var backend = await BackendProcess.StartAsync("web1");
        await backend.SetHealthStatusAsync(503);
        var agentDir = _dir.Sub("agent");
        var agent = await controller.StartAgentAsync("web1", backend.Address, agentDir, await controller.NewJoinTokenAsync());
        try
        {
            // Joined and heartbeating, but failing its check: not in the farm.
            await Eventually.True(async () => (await controller.AgentsAsync()).Single().GetProperty("detail").GetString()!.Contains("503"), because: "the failing check is shown");
            Assert.Equal("joined", await controller.StateOfAsync("web1"));
            Assert.Null(controller.Host.Rotation.Runtime.GetFarm("web").FindServer("web1"));

            await backend.SetHealthStatusAsync(200);
            await Eventually.True(async () => await controller.StateOfAsync("web1") == "ready", because: "healthy now");
            using var client = new HttpClient { BaseAddress = controller.Host.BalancerUrl };
            Assert.Equal("web1", await client.GetStringAsync("/"));
        }
        finally
        {
            await agent.DisposeAsync();
        }

        // No more heartbeats: lost after 5 missed, out of rotation.
        await Eventually.True(async () => await controller.StateOfAsync("web1") == "lost", TimeSpan.FromSeconds(8), "lost after 5 missed heartbeats");
        Assert.Equal(ServerState.Offline, controller.Host.Rotation.Runtime.GetServer("web", "web1").State);
        Assert.Contains(await controller.EventsAsync(), e => e.GetProperty("kind").GetString() == "failed" && e.GetProperty("message").GetString()!.Contains("agent is lost"));

        // The agent restarts (no token: its stored credential) and the server comes back.
        await using var again = await controller.StartAgentAsync("web1", backend.Address, agentDir, joinToken: null);
        await Eventually.True(async () => await controller.StateOfAsync("web1") == "ready", because: "back in rotation");
        Assert.Equal(ServerState.Online, controller.Host.Rotation.Runtime.GetServer("web", "web1").State);
        Assert.Contains(await controller.EventsAsync(), e => e.GetProperty("kind").GetString() == "rejoined");
    }
}
