using WebFarm.State.Hosting;
using WebFarm.State.Storage;
using WebFarm.State.Tests.Infrastructure;

namespace WebFarm.State.Tests;

/// <summary>KEYS and SCAN walk the keyspace without holding every other client hostage.</summary>
public sealed class KeyWalkTests
{
    [Theory(Timeout = 180_000)]
    [InlineData("KEYS")]
    [InlineData("SCAN")]
    public async Task A_get_from_another_client_is_answered_while_a_long_walk_runs(string command)
    {
        await using var server = await StateServer.StartAsync(new StateServerOptions { Port = 0 });
        await using var walker = await RawClient.ConnectAsync(server.EndPoint);
        await using var other = await RawClient.ConnectAsync(server.EndPoint);
        await SlowWalk.PopulateAsync(walker);
        Assert.Equal("OK", await other.CallAsync("SET", "session", "alive"));
        Assert.Equal("OK", await walker.CallAsync("CLIENT", "SETNAME", "walker"));
        await walker.SendRawAsync(command == "KEYS"
            ? RawClient.Encode("KEYS", SlowWalk.Pattern)
            : RawClient.Encode("SCAN", "0", "MATCH", SlowWalk.Pattern, "COUNT", "100000"));

        await SlowWalk.WaitUntilRunningAsync(other, "walker", command);
        Assert.Equal("alive", await other.CallAsync("GET", "session"));
        Assert.Equal("OK", await other.CallAsync("SET", "written", "during the walk"));

        // The walk is still running: its reply has not arrived.
        Assert.Equal(0, walker.Socket.Available);
    }

    [Fact(Timeout = 180_000)]
    public async Task A_walk_stops_when_its_client_disconnects()
    {
        await using var server = await StateServer.StartAsync(new StateServerOptions { Port = 0 });
        await using var other = await RawClient.ConnectAsync(server.EndPoint);
        await using (var walker = await RawClient.ConnectAsync(server.EndPoint))
        {
            // Five times the usual keys: minutes of matching if nothing stopped it.
            for (var round = 0; round < 5; round++)
            {
                await SlowWalk.PopulateAsync(walker, $"r{round}");
            }

            Assert.Equal("OK", await walker.CallAsync("CLIENT", "SETNAME", "walker"));
            await walker.SendRawAsync(RawClient.Encode("KEYS", SlowWalk.Pattern));
            await SlowWalk.WaitUntilRunningAsync(other, "walker", "KEYS");
            Assert.Contains("key_walks_running:1\r\n", (string)(await other.CallAsync("INFO", "stats"))!);
        }

        await Wait.UntilAsync(
            async () => ((string)(await other.CallAsync("INFO", "stats"))!).Contains("key_walks_running:0\r\n", StringComparison.Ordinal),
            "the abandoned walk has stopped");
    }

    [Fact]
    public async Task Keys_and_scan_still_return_what_matches()
    {
        await using var server = await StateServer.StartAsync(new StateServerOptions { Port = 0 });
        await using var client = await RawClient.ConnectAsync(server.EndPoint);
        for (var i = 0; i < 5000; i++)
        {
            await client.SendRawAsync(RawClient.Encode("SET", $"user:{i}:{new string('x', i % 300)}", "v"));
        }

        for (var i = 0; i < 5000; i++)
        {
            Assert.Equal("OK", await client.ReadReplyAsync());
        }

        var keys = Assert.IsType<object?[]>(await client.CallAsync("KEYS", "user:1?:*"));
        Assert.Equal(10, keys.Length);
        Assert.Equal(5000, Assert.IsType<object?[]>(await client.CallAsync("KEYS", "user:*")).Length);
        Assert.Equal(5000, Assert.IsType<object?[]>(await client.CallAsync("KEYS", "*")).Length);

        // COUNT 700 pages are matched inline under the lock, COUNT 2000 pages outside it: same answer.
        foreach (var count in new[] { "700", "2000" })
        {
            var seen = new HashSet<string>();
            var cursor = "0";
            do
            {
                var page = Assert.IsType<object?[]>(await client.CallAsync("SCAN", cursor, "MATCH", "user:*[05]:*", "COUNT", count));
                cursor = (string)page[0]!;
                foreach (var key in Assert.IsType<object?[]>(page[1]))
                {
                    seen.Add((string)key!);
                }
            }
            while (cursor != "0");

            Assert.Equal(1000, seen.Count);
        }

        // Inside MULTI the walk runs with the transaction, in order.
        Assert.Equal("OK", await client.CallAsync("MULTI"));
        Assert.Equal("QUEUED", await client.CallAsync("KEYS", "user:4999:*"));
        Assert.Equal("QUEUED", await client.CallAsync("DBSIZE"));
        var exec = Assert.IsType<object?[]>(await client.CallAsync("EXEC"));
        Assert.Single(Assert.IsType<object?[]>(exec[0]));
        Assert.Equal(5000L, exec[1]);
    }

    [Fact]
    public async Task Too_long_patterns_are_refused_with_the_limit()
    {
        await using var server = await StateServer.StartAsync(new StateServerOptions { Port = 0 });
        await using var client = await RawClient.ConnectAsync(server.EndPoint);
        var pattern = new string('*', GlobPattern.MaxLength + 1);
        var expected = $"ERR pattern is {GlobPattern.MaxLength + 1} bytes long; webfarm state accepts glob patterns of at most {GlobPattern.MaxLength} bytes";
        Assert.Equal(expected, Assert.IsType<RespError>(await client.CallAsync("KEYS", pattern)).Message);
        Assert.Equal(expected, Assert.IsType<RespError>(await client.CallAsync("SCAN", "0", "MATCH", pattern)).Message);

        // HSCAN reads its options by the same rule (it used to skip the length check).
        Assert.Equal(1L, await client.CallAsync("HSET", "h", "f", "v"));
        Assert.Equal(expected, Assert.IsType<RespError>(await client.CallAsync("HSCAN", "h", "0", "MATCH", pattern)).Message);
        Assert.Equal("PONG", await client.CallAsync("PING"));
    }
}
