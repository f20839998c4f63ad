using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Tcp;

/// <summary>Active checks of TCP servers: a TCP connect by default, HTTP when configured.</summary>
public sealed class TcpHealthCheckTests
{
    [Fact]
    public async Task A_connect_check_takes_a_server_that_stopped_accepting_out_of_rotation()
    {
        await using var s1 = TcpBackend.StartGreeter("s1");
        await using var s2 = TcpBackend.StartGreeter("s2");
        var health = new HealthCheckOptions { Interval = TimeSpan.FromMilliseconds(200), Timeout = TimeSpan.FromSeconds(2), Fall = 1, Rise = 1 };
        await using var balancer = await TcpFarm.StartAsync([s1, s2], f => f with { Health = health });
        var server = balancer.Runtime.GetServer(TcpFarm.Farm, "s1");
        await Eventually.True(() => server.LastHealthCheck is { Healthy: true }, because: "the first connect check passed");
        Assert.Equal($"tcp://127.0.0.1:{s1.Port}/", server.LastHealthCheck!.Url.ToString());
        Assert.Null(server.LastHealthCheck.StatusCode);

        s1.Kill();
        await Eventually.True(() => !server.Healthy, because: "the connect check failed");
        Assert.Equal("connection refused", server.LastHealthCheck!.Reason);

        // No client is sent to it any more: no connect attempt, no failure.
        var failures = server.Statistics.TransportFailures;
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("s2", await TcpTestClient.GreetingFromAsync(balancer.EndPoint()));
        }

        Assert.Equal(failures, server.Statistics.TransportFailures);
    }

    [Fact]
    public async Task An_http_check_of_a_tcp_server_asks_its_port_over_http()
    {
        await using var web = await TestBackend.StartNamedAsync("status");
        var port = web.Uri.Port;
        var health = new HealthCheckOptions { Type = HealthCheckType.Http, Path = "/healthz", Interval = TimeSpan.FromMilliseconds(200), Fall = 1, Rise = 1 };
        await using var balancer = await TestBalancer.StartAsync(TcpFarm.Config([$"tcp://127.0.0.1:{port}"], f => f with { Health = health }));

        var server = balancer.Runtime.GetServer(TcpFarm.Farm, "s1");
        await Eventually.True(() => server.LastHealthCheck is not null, because: "a check ran");
        Assert.Equal(200, server.LastHealthCheck!.StatusCode);
        Assert.Equal($"http://127.0.0.1:{port}/healthz", server.LastHealthCheck.Url.ToString());
        Assert.True(web.Hits("/healthz") > 0);
    }
}
