using WebFarm.AspNetCore.Resp;
using WebFarm.AspNetCore.Tests.Infrastructure;
using WebFarm.State.Hosting;

namespace WebFarm.AspNetCore.Tests.StateServer;

/// <summary>The RESP client against <c>webfarm state</c>: pipelining, AUTH and following a promoted replica.</summary>
public sealed class StateServerClientTests
{
    private static RespClient Client(string? password, params int[] ports)
    {
        var options = new RespClientOptions { Password = password, CommandTimeout = TimeSpan.FromSeconds(5) };
        foreach (int port in ports)
        {
            options.EndPoints.Add($"127.0.0.1:{port}");
        }

        return new RespClient(options);
    }

    [Fact]
    public async Task Pipelined_commands_are_matched_to_their_replies()
    {
        await using var server = await State.Hosting.StateServer.StartAsync(new StateServerOptions { Port = 0 });
        await using var client = Client(null, server.Port);
        const int Count = 2000;
        var sets = Enumerable.Range(0, Count).Select(i => client.ExecuteAsync("SET", "k" + i, "v" + i)).ToArray();
        await Task.WhenAll(sets).WaitAsync(TimeSpan.FromSeconds(60));
        var gets = await Task.WhenAll(Enumerable.Range(0, Count).Select(i => client.ExecuteAsync("GET", "k" + i))).WaitAsync(TimeSpan.FromSeconds(60));
        for (int i = 0; i < Count; i++)
        {
            Assert.Equal("v" + i, gets[i].AsString());
        }
    }

    [Fact]
    public async Task Auth_is_required_and_accepted()
    {
        await using var server = await State.Hosting.StateServer.StartAsync(new StateServerOptions { Port = 0, Password = "pw" });
        await using (var good = Client("pw", server.Port))
        {
            Assert.Equal("OK", (await good.ExecuteAsync("SET", "a", "1")).AsString());
        }

        await using var bad = Client("nope", server.Port);
        await Assert.ThrowsAsync<RespConnectionException>(() => bad.ExecuteAsync("GET", "a"));
        await using var none = Client(null, server.Port);
        var error = await Assert.ThrowsAsync<RespServerException>(() => none.ExecuteAsync("GET", "a"));
        Assert.StartsWith("NOAUTH", error.ServerMessage);
    }

    [Fact]
    public async Task Follows_the_replica_promoted_after_the_primary_dies()
    {
        var primary = await State.Hosting.StateServer.StartAsync(new StateServerOptions { Port = 0 });
        await using var replica = await State.Hosting.StateServer.StartAsync(new StateServerOptions { Port = 0, ReplicaOf = $"127.0.0.1:{primary.Port}" });
        try
        {
            await using var client = Client(null, replica.Port, primary.Port);
            await client.ExecuteAsync("SET", "k", "1");
            Assert.Equal(primary.Port, client.CurrentEndPoint.Port);
            await using var direct = Client(null, replica.Port);
            await Eventually.TrueAsync(async () => (await direct.ExecuteAsync("GET", "k")).AsString() == "1", TimeSpan.FromSeconds(15), "replication of k");

            await primary.DisposeAsync();
            Assert.Equal("OK", (await direct.ExecuteAsync("REPLICAOF", "NO", "ONE")).AsString());
            await Eventually.TrueAsync(async () => (await client.ExecuteAsync("SET", "k", "2")).AsString() == "OK",
                TimeSpan.FromSeconds(15), "a write to succeed on the promoted replica");
            Assert.Equal(replica.Port, client.CurrentEndPoint.Port);
            Assert.Equal("2", (await direct.ExecuteAsync("GET", "k")).AsString());
        }
        finally
        {
            await primary.DisposeAsync();
        }
    }
}
