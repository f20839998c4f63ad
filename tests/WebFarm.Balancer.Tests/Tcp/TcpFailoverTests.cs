using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Events;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Tcp;

/// <summary>A server that dies or refuses: its clients see the close, new connections go to the servers that answer.</summary>
public sealed class TcpFailoverTests
{
    [Fact]
    public async Task A_server_killed_mid_connection_closes_its_client_and_the_next_connections_go_elsewhere()
    {
        await using var s1 = TcpBackend.StartGreeter("s1");
        await using var s2 = TcpBackend.StartGreeter("s2");
        await using var balancer = await TcpFarm.StartAsync([s1, s2]);
        var backends = new Dictionary<string, TcpBackend> { ["s1"] = s1, ["s2"] = s2 };

        using var client = await TcpTestClient.ConnectAsync(balancer.EndPoint());
        var victim = await client.ReadLineAsync();
        Assert.NotNull(victim);
        await client.SendAsync("hello\n");
        Assert.Equal("hello", await client.ReadLineAsync());

        backends[victim].Kill();
        Assert.Null(await client.ReadLineAsync()); // the reset reached the client as a close

        var survivor = victim == "s1" ? "s2" : "s1";
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(survivor, await TcpTestClient.GreetingFromAsync(balancer.EndPoint()));
        }

        var dead = balancer.Runtime.GetServer(TcpFarm.Farm, victim);
        await Eventually.True(() => dead.InFlight == 0, because: "the killed server's connection was closed and accounted");
    }

    [Fact]
    public async Task A_refused_connect_tries_the_next_server_and_counts_against_the_refusing_one()
    {
        await using var live = TcpBackend.StartGreeter("live");
        var closedPort = FreePort.Next(); // nothing listens there: connects are refused
        var config = TcpFarm.Config([$"tcp://127.0.0.1:{closedPort}", live.Address], f => f with
        {
            PassiveHealth = new PassiveHealthOptions { MaxFailures = 3, Window = TimeSpan.FromMinutes(5), ReactivationPeriod = TimeSpan.FromHours(1) },
        });
        await using var balancer = await TestBalancer.StartAsync(config);

        // Every client reaches the live server, whichever the policy tried first; bounded: 40 connections.
        var refusing = balancer.Runtime.GetServer(TcpFarm.Farm, "s1");
        for (var i = 0; i < 40 && (i < 10 || refusing.Healthy); i++)
        {
            Assert.Equal("live", await TcpTestClient.GreetingFromAsync(balancer.EndPoint()));
        }

        Assert.False(refusing.Healthy);
        Assert.Equal(3, refusing.Statistics.TransportFailures); // tried until passive health took it out, then never again
        Assert.Equal(0, balancer.Listener().NoServer);
        Assert.Contains(balancer.Runtime.Events.Since(0), e => e.Server == "s1" && e.Kind == EventKind.Failed);
    }

    [Fact]
    public async Task When_every_connect_fails_the_client_is_closed_and_counted()
    {
        var ports = FreePort.Many(2);
        await using var balancer = await TestBalancer.StartAsync(TcpFarm.Config(ports.Select(p => $"tcp://127.0.0.1:{p}")));

        using var client = await TcpTestClient.ConnectAsync(balancer.EndPoint());
        Assert.True(await client.EndsAsync());
        Assert.Equal(1, balancer.Listener().NoServer);
        Assert.Equal(2, balancer.Runtime.GetServer(TcpFarm.Farm, "s1").Statistics.TransportFailures + balancer.Runtime.GetServer(TcpFarm.Farm, "s2").Statistics.TransportFailures);
    }
}
