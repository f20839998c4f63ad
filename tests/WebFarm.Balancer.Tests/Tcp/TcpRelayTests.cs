using System.Collections.Concurrent;
using System.Net.Sockets;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Tcp;

/// <summary>Bytes through a TCP port rule: whole and in order both ways at once, and a FIN one way keeps the other open.</summary>
public sealed class TcpRelayTests
{
    private const long Bulk = 64L * 1024 * 1024;

    [Fact]
    public async Task Bulk_transfers_both_ways_at_once_arrive_whole_and_are_counted()
    {
        var atServer = new ConcurrentQueue<(long Count, string Hash)>();
        await using var backend = TcpBackend.StartExchange("s1", Bulk, seed: 2, atServer);
        await using var balancer = await TcpFarm.StartAsync([backend]);

        using var client = await TcpTestClient.ConnectAsync(balancer.EndPoint());
        var sending = Task.Run(async () =>
        {
            await TcpBackend.SendPatternAsync(client.Socket, Bulk, seed: 1);
            client.Socket.Shutdown(SocketShutdown.Send);
        });
        var (count, hash) = await TcpBackend.ReceiveAllAsync(client.Socket).WaitAsync(TimeSpan.FromMinutes(3));
        await sending.WaitAsync(TimeSpan.FromMinutes(3));

        Assert.Equal(Bulk, count);
        Assert.Equal(TcpBackend.PatternHash(Bulk, seed: 2), hash);
        await Eventually.True(() => !atServer.IsEmpty, because: "the server saw the client's FIN");
        Assert.True(atServer.TryDequeue(out var server));
        Assert.Equal(Bulk, server.Count);
        Assert.Equal(TcpBackend.PatternHash(Bulk, seed: 1), server.Hash);

        var s1 = balancer.Runtime.GetServer(TcpFarm.Farm, "s1");
        await Eventually.True(() => s1.InFlight == 0, because: "the relay ended when both sides closed");
        Assert.Equal(Bulk, s1.Statistics.BytesIn);
        Assert.Equal(Bulk, s1.Statistics.BytesOut);
        Assert.Equal(1, s1.Statistics.Connections);

        var metrics = await balancer.Admin.GetStringAsync("/metrics");
        Assert.Contains("webfarm_server_bytes_in_total{farm=\"db\",server=\"s1\"} 67108864\n", metrics, StringComparison.Ordinal);
        Assert.Contains("webfarm_server_bytes_out_total{farm=\"db\",server=\"s1\"} 67108864\n", metrics, StringComparison.Ordinal);
        Assert.Contains("webfarm_server_connections_total{farm=\"db\",server=\"s1\"} 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("webfarm_tcp_connections_total{farm=\"db\",listener=\"127.0.0.1:0\"} 1\n", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_half_close_from_the_client_keeps_the_server_to_client_direction_open()
    {
        await using var backend = TcpBackend.StartGreeter("s1");
        await using var balancer = await TcpFarm.StartAsync([backend]);

        using var client = await TcpTestClient.ConnectAsync(balancer.EndPoint());
        Assert.Equal("s1", await client.ReadLineAsync());
        await client.SendAsync("ping\n");
        client.Socket.Shutdown(SocketShutdown.Send);

        // The server got the FIN (it says goodbye only after it) and still reaches the client.
        Assert.Equal("ping", await client.ReadLineAsync());
        Assert.Equal("bye s1", await client.ReadLineAsync());
        Assert.Null(await client.ReadLineAsync());
    }

    [Fact]
    public async Task A_half_close_from_the_server_keeps_the_client_to_server_direction_open()
    {
        var atServer = new ConcurrentQueue<(long Count, string Hash)>();

        // The server sends nothing and closes its side at once (FIN), then keeps reading the client's upload.
        await using var backend = TcpBackend.StartExchange("s1", bytes: 0, seed: 0, atServer);
        await using var balancer = await TcpFarm.StartAsync([backend]);

        using var client = await TcpTestClient.ConnectAsync(balancer.EndPoint());
        Assert.True(await client.EndsAsync(), "the server's FIN reaches the client");
        const long upload = 4 * 1024 * 1024;
        await TcpBackend.SendPatternAsync(client.Socket, upload, seed: 3);
        client.Socket.Shutdown(SocketShutdown.Send);

        await Eventually.True(() => !atServer.IsEmpty, because: "the server read the whole upload after its own FIN");
        Assert.True(atServer.TryDequeue(out var server));
        Assert.Equal(upload, server.Count);
        Assert.Equal(TcpBackend.PatternHash(upload, seed: 3), server.Hash);
    }
}
