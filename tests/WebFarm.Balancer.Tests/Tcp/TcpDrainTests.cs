using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Events;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Tcp;

/// <summary>Draining a TCP server: its open connections go on, new ones go elsewhere, and the drain timeout ends them.</summary>
public sealed class TcpDrainTests
{
    [Fact]
    public async Task Draining_keeps_an_open_connection_alive_until_the_drain_timeout_closes_it()
    {
        await using var s1 = TcpBackend.StartGreeter("s1");
        await using var s2 = TcpBackend.StartGreeter("s2");
        var config = TcpFarm.Config([s1.Address, s2.Address], f => f with { Affinity = f.Affinity with { DrainTimeout = TimeSpan.FromHours(1) } });
        await using var balancer = await TestBalancer.StartAsync(config);

        using var client = await TcpTestClient.ConnectAsync(balancer.EndPoint());
        var drained = await client.ReadLineAsync();
        Assert.NotNull(drained);
        balancer.Runtime.SetState(TcpFarm.Farm, drained, ServerState.Draining);

        // Well past a sweep (1 s): the connection still relays both ways, and new clients go to the other server.
        var other = drained == "s1" ? "s2" : "s1";
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(other, await TcpTestClient.GreetingFromAsync(balancer.EndPoint()));
        }

        await Eventually.True(() => balancer.Runtime.Events.Since(0).Any(e => e.Kind == EventKind.Draining), because: "the drain was announced");
        for (var i = 0; i < 3; i++)
        {
            await client.SendAsync($"still {i}\n");
            Assert.Equal($"still {i}", await client.ReadLineAsync());
            await Task.Delay(TcpFrontEndSweep);
        }

        Assert.Equal(0, balancer.Listener().DrainClosed);

        // A reload shortens the drain timeout: the next sweep closes the connection that outlived it.
        balancer.Runtime.Apply(config with
        {
            Farms = new Dictionary<string, FarmOptions> { [TcpFarm.Farm] = config.Farms[TcpFarm.Farm] with { Affinity = new AffinityOptions { DrainTimeout = TimeSpan.FromSeconds(1) } } },
        });
        Assert.Null(await client.ReadLineAsync());
        Assert.Equal(1, balancer.Listener().DrainClosed);
        var server = balancer.Runtime.GetServer(TcpFarm.Farm, drained);
        await Eventually.True(() => server.InFlight == 0, because: "the closed connection left the server");
        await Eventually.True(() => balancer.Runtime.Events.Since(0).Any(e => e.Kind == EventKind.FinishedDraining && e.Server == drained), because: "its last connection ended the drain");
    }

    [Fact]
    public async Task Setting_a_server_offline_closes_its_connections()
    {
        await using var s1 = TcpBackend.StartGreeter("s1");
        await using var balancer = await TcpFarm.StartAsync([s1]);

        using var client = await TcpTestClient.ConnectAsync(balancer.EndPoint());
        Assert.Equal("s1", await client.ReadLineAsync());
        balancer.Runtime.SetState(TcpFarm.Farm, "s1", ServerState.Offline);

        Assert.Null(await client.ReadLineAsync());
        Assert.Equal(1, balancer.Listener().DrainClosed);
        using var refused = await TcpTestClient.ConnectAsync(balancer.EndPoint());
        Assert.True(await refused.EndsAsync(), "no server takes new connections");
        Assert.Equal(1, balancer.Listener().NoServer);
    }

    private static readonly TimeSpan TcpFrontEndSweep = TimeSpan.FromMilliseconds(500);
}
