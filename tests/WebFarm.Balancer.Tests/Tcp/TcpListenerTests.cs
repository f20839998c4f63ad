using System.Net;
using System.Net.Sockets;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Tcp;

/// <summary>A TCP listener's port range, connection limit and idle timeout.</summary>
public sealed class TcpListenerTests
{
    [Fact]
    public async Task A_port_range_takes_connections_on_every_port()
    {
        await using var s1 = TcpBackend.StartGreeter("s1");
        await using var balancer = await StartOnFreeRangeAsync(s1, ports: 3);

        Assert.Equal(3, balancer.Host.TcpEndPoints.Count);
        foreach (var port in balancer.Host.TcpEndPoints)
        {
            Assert.Equal("s1", await TcpTestClient.GreetingFromAsync(port));
        }

        Assert.Equal(3, s1.Accepted);
        Assert.Equal(3, balancer.Listener().Total);
    }

    [Fact]
    public async Task Over_the_connection_limit_a_connection_is_accepted_and_closed_and_counted()
    {
        await using var s1 = TcpBackend.StartGreeter("s1");
        await using var balancer = await TcpFarm.StartAsync([s1], maxConnections: 2);

        using var first = await TcpTestClient.ConnectAsync(balancer.EndPoint());
        using var second = await TcpTestClient.ConnectAsync(balancer.EndPoint());
        Assert.Equal("s1", await first.ReadLineAsync());
        Assert.Equal("s1", await second.ReadLineAsync());

        using (var third = await TcpTestClient.ConnectAsync(balancer.EndPoint()))
        {
            Assert.True(await third.EndsAsync(), "the third connection is closed at once");
        }

        Assert.Equal(1, balancer.Listener().OverLimit);
        Assert.Equal(2, s1.Accepted);

        // A slot that frees up takes the next connection.
        first.Dispose();
        await Eventually.True(() => balancer.Listener().Open == 1, because: "the first connection's close was relayed");
        Assert.Equal("s1", await TcpTestClient.GreetingFromAsync(balancer.EndPoint()));
        var metrics = await balancer.Admin.GetStringAsync("/metrics");
        Assert.Contains("webfarm_tcp_over_limit_total{farm=\"db\",listener=\"127.0.0.1:0\"} 1\n", metrics, StringComparison.Ordinal);
        var api = await balancer.Admin.GetStringAsync("/api/tcp");
        Assert.Contains("\"overLimit\":1", api, StringComparison.Ordinal);
        Assert.Contains("\"maxConnections\":2", api, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_idle_connection_is_closed_after_the_idle_timeout_and_a_busy_one_is_not()
    {
        await using var s1 = TcpBackend.StartGreeter("s1");
        await using var balancer = await TcpFarm.StartAsync([s1], f => f with { Timeouts = f.Timeouts with { Idle = TimeSpan.FromSeconds(2) } });

        using var idle = await TcpTestClient.ConnectAsync(balancer.EndPoint());
        using var busy = await TcpTestClient.ConnectAsync(balancer.EndPoint());
        Assert.Equal("s1", await idle.ReadLineAsync());
        Assert.Equal("s1", await busy.ReadLineAsync());

        // The busy client talks every 200 ms until the idle one has been closed (bounded: 30 s, 150 rounds).
        var closed = idle.EndsAsync();
        for (var i = 0; i < 150 && !closed.IsCompleted; i++)
        {
            await busy.SendAsync("x\n");
            Assert.Equal("x", await busy.ReadLineAsync());
            await Task.WhenAny(closed, Task.Delay(200));
        }

        Assert.True(await closed, "the idle connection was closed");
        Assert.Equal(1, balancer.Listener().IdleClosed);
        await busy.SendAsync("still here\n");
        Assert.Equal("still here", await busy.ReadLineAsync());
    }

    [Fact]
    public async Task A_taken_port_in_a_range_is_refused_by_name_and_nothing_stays_bound()
    {
        // A range of two ports whose second one this test holds. The first is held too until just before the balancer
        // starts: a port found free and then released is an ephemeral one, which another test's connection may take
        // meanwhile (then the balancer names that port, and the attempt is made again; bounded, 20 tries).
        for (var attempt = 0; attempt < 20; attempt++)
        {
            if (HoldTwoAdjacentPorts() is not { } held)
            {
                continue;
            }

            var first = ((IPEndPoint)held.First.LocalEndPoint!).Port;
            using (held.Taken)
            {
                held.First.Dispose();
                var range = $"127.0.0.1:{first}-{first + 1}";
                var ex = await Assert.ThrowsAsync<IOException>(() => TestBalancer.StartAsync(TcpFarm.Config(["tcp://127.0.0.1:1"], listen: range)));
                if (ex.Message.StartsWith($"TCP listener \"{range}\" cannot listen on 127.0.0.1:{first}: ", StringComparison.Ordinal))
                {
                    continue; // The first port was taken by someone else in between.
                }

                Assert.StartsWith($"TCP listener \"{range}\" cannot listen on 127.0.0.1:{first + 1}: ", ex.Message, StringComparison.Ordinal);
                using var again = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                again.Bind(new IPEndPoint(IPAddress.Loopback, first)); // the port bound before the taken one was released
                return;
            }
        }

        Assert.Fail("no two adjacent free ports could be held in 20 tries");
    }

    /// <summary>Two adjacent loopback ports bound by this test (null when the one after a free port is in use).</summary>
    private static (Socket First, Socket Taken)? HoldTwoAdjacentPorts()
    {
        var first = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        first.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)first.LocalEndPoint!).Port;
        var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            taken.Bind(new IPEndPoint(IPAddress.Loopback, port + 1));
            taken.Listen(1);
            return (first, taken);
        }
        catch (SocketException)
        {
            first.Dispose();
            taken.Dispose();
            return null;
        }
    }

    /// <summary>Starts a balancer on a range of free consecutive ports (retried when one is taken meanwhile).</summary>
    private static async Task<TestBalancer> StartOnFreeRangeAsync(TcpBackend server, int ports)
    {
        for (var attempt = 0; ; attempt++)
        {
            var first = FreePort.Next();
            if (first + ports > 65535)
            {
                continue;
            }

            try
            {
                return await TestBalancer.StartAsync(TcpFarm.Config([server.Address], listen: $"127.0.0.1:{first}-{first + ports - 1}"));
            }
            catch (IOException) when (attempt < 20)
            {
                // A port of the range was taken: try another range.
            }
        }
    }
}
