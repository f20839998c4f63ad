using WebFarm.State.Hosting;
using WebFarm.State.Tests.Infrastructure;

namespace WebFarm.State.Tests;

public sealed class TransactionTests : IAsyncLifetime
{
    private StateServer _server = null!;

    public async Task InitializeAsync() => _server = await StateServer.StartAsync(new StateServerOptions { Port = 0 });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Multi_exec_runs_queued_commands_atomically_and_returns_all_replies()
    {
        await using var client = await RawClient.ConnectAsync(_server.EndPoint);
        Assert.Equal("OK", await client.CallAsync("MULTI"));
        Assert.Equal("QUEUED", await client.CallAsync("SET", "a", "1"));
        Assert.Equal("QUEUED", await client.CallAsync("INCR", "a"));
        Assert.Equal("QUEUED", await client.CallAsync("HSET", "a", "f", "v"));
        Assert.Equal("QUEUED", await client.CallAsync("GET", "a"));
        var replies = Assert.IsType<object?[]>(await client.CallAsync("EXEC"));
        Assert.Equal("OK", replies[0]);
        Assert.Equal(2L, replies[1]);
        Assert.Equal("WRONGTYPE Operation against a key holding the wrong kind of value", Assert.IsType<RespError>(replies[2]).Message);
        Assert.Equal("2", replies[3]);
    }

    [Fact]
    public async Task Errors_while_queueing_abort_the_transaction()
    {
        await using var client = await RawClient.ConnectAsync(_server.EndPoint);
        await client.CallAsync("MULTI");
        Assert.Equal("QUEUED", await client.CallAsync("SET", "x", "1"));
        Assert.IsType<RespError>(await client.CallAsync("NOSUCHCOMMAND"));
        Assert.Equal("ERR wrong number of arguments for 'get' command", Assert.IsType<RespError>(await client.CallAsync("GET")).Message);
        Assert.Equal("ERR MULTI calls can not be nested", Assert.IsType<RespError>(await client.CallAsync("MULTI")).Message);
        Assert.Equal("EXECABORT Transaction discarded because of previous errors.", Assert.IsType<RespError>(await client.CallAsync("EXEC")).Message);
        Assert.Null(await client.CallAsync("GET", "x"));
    }

    [Fact]
    public async Task Discard_drops_the_queue_and_exec_without_multi_is_an_error()
    {
        await using var client = await RawClient.ConnectAsync(_server.EndPoint);
        await client.CallAsync("MULTI");
        await client.CallAsync("SET", "y", "1");
        Assert.Equal("OK", await client.CallAsync("DISCARD"));
        Assert.Null(await client.CallAsync("GET", "y"));
        Assert.Equal("ERR EXEC without MULTI", Assert.IsType<RespError>(await client.CallAsync("EXEC")).Message);
        Assert.Equal("ERR DISCARD without MULTI", Assert.IsType<RespError>(await client.CallAsync("DISCARD")).Message);
    }

    [Fact]
    public async Task Another_client_never_sees_half_a_transaction()
    {
        await using var writer = await RawClient.ConnectAsync(_server.EndPoint);
        await using var reader = await RawClient.ConnectAsync(_server.EndPoint);
        await writer.CallAsync("MSET", "left", "0", "right", "0");
        var stop = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        var readerTask = Task.Run(async () =>
        {
            var checks = 0;
            while (DateTime.UtcNow < stop)
            {
                var pair = Assert.IsType<object?[]>(await reader.CallAsync("MGET", "left", "right"));
                Assert.Equal(pair[0], pair[1]);
                checks++;
            }

            return checks;
        });
        for (var i = 1; i <= 300 && DateTime.UtcNow < stop; i++)
        {
            // One write carrying the whole transaction; the pair must move together.
            await writer.SendRawAsync(RawClient.Encode("MULTI").Concat(RawClient.Encode("INCR", "left")).Concat(RawClient.Encode("INCR", "right")).Concat(RawClient.Encode("EXEC")).ToArray());
            for (var r = 0; r < 4; r++)
            {
                await writer.ReadReplyAsync();
            }
        }

        Assert.True(await readerTask > 0);
    }
}
