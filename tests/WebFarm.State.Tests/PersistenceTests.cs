using System.Text;
using WebFarm.State.Hosting;
using WebFarm.State.Tests.Infrastructure;

namespace WebFarm.State.Tests;

public sealed class PersistenceTests : IDisposable
{
    private readonly TempDirectory _dir = new("webfarm-state-test-");

    public void Dispose() => _dir.Dispose();

    private Task<StateServer> Start(long rewriteMin = 64L * 1024 * 1024)
        => StateServer.StartAsync(new StateServerOptions { Port = 0, Directory = _dir.Path, AofRewriteMinBytes = rewriteMin });

    private static async Task<int> RewritesAsync(RawClient client)
        => int.Parse(System.Text.RegularExpressions.Regex.Match((string)(await client.CallAsync("INFO", "persistence"))!, @"aof_rewrites:(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<bool> RewritingAsync(RawClient client)
        => ((string)(await client.CallAsync("INFO", "persistence"))!).Contains("aof_rewrite_in_progress:1", StringComparison.Ordinal);

    private string IncrFile() => Directory.GetFiles(_dir.Path, "*.incr.aof").Single();

    [Theory]
    [InlineData(AppendFsyncPolicy.EverySec)]
    [InlineData(AppendFsyncPolicy.Always)]
    [InlineData(AppendFsyncPolicy.No)]
    public async Task Data_survives_a_clean_restart(AppendFsyncPolicy policy)
    {
        await using (var server = await StateServer.StartAsync(new StateServerOptions { Port = 0, Directory = _dir.Path, AppendFsync = policy }))
        {
            await using var client = await RawClient.ConnectAsync(server.EndPoint);
            await client.CallAsync("SET", "plain", "value");
            await client.CallAsync("SET", "ttl", "value", "EX", "1000");
            await client.CallAsync("SET", "gone", "value", "PX", "1");
            await client.CallAsync("HSET", "session", "user", "alice", "cart", "3");
            await client.CallAsync("INCRBY", "counter", "41");
            await client.CallAsync("INCR", "counter");
            await client.CallAsync("SET", "deleted", "x");
            await client.CallAsync("DEL", "deleted");
            await client.CallAsync("MULTI");
            await client.CallAsync("SET", "tx", "1");
            await client.CallAsync("EXEC");
        }

        await using (var server = await Start())
        {
            await using var client = await RawClient.ConnectAsync(server.EndPoint);
            Assert.Equal("value", await client.CallAsync("GET", "plain"));
            Assert.InRange((long)(await client.CallAsync("TTL", "ttl"))!, 990, 1000);
            Assert.Null(await client.CallAsync("GET", "gone"));
            Assert.Equal("alice", await client.CallAsync("HGET", "session", "user"));
            Assert.Equal("42", await client.CallAsync("GET", "counter"));
            Assert.Null(await client.CallAsync("GET", "deleted"));
            Assert.Equal("1", await client.CallAsync("GET", "tx"));
            Assert.Contains("aof_enabled:1", (string)(await client.CallAsync("INFO", "persistence"))!);
        }
    }

    [Theory]
    [InlineData("*3\r\n$3\r\nSET\r\n$4\r\ntorn\r\n$10\r\nabc")]
    [InlineData("*3\r\n$3\r\nSET\r")]
    [InlineData("*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$4\r\ntorn\r\n$1\r\n1\r\n")]
    [InlineData("garbage that is not RESP at all")]
    [InlineData("garbage with a newline\r\n*1\r\n$4\r\nPING\r\n")]
    public async Task A_torn_tail_is_truncated_with_a_warning_and_the_server_starts(string tail)
    {
        await using (var server = await Start())
        {
            await using var client = await RawClient.ConnectAsync(server.EndPoint);
            for (var i = 0; i < 100; i++)
            {
                await client.CallAsync("SET", $"k{i}", $"v{i}");
            }
        }

        var goodLength = new FileInfo(IncrFile()).Length;
        await File.AppendAllTextAsync(IncrFile(), tail, Encoding.ASCII);
        var logs = new CapturingLoggerProvider();
        await using (var server = await StateServer.StartAsync(new StateServerOptions { Port = 0, Directory = _dir.Path, LoggerFactory = logs.Factory }))
        {
            await using var client = await RawClient.ConnectAsync(server.EndPoint);
            Assert.Equal(100L, await client.CallAsync("DBSIZE"));
            Assert.Equal("v99", await client.CallAsync("GET", "k99"));
            Assert.Null(await client.CallAsync("GET", "torn"));
            Assert.Equal(goodLength, new FileInfo(IncrFile()).Length);
            Assert.Contains(logs.Messages, m => m.Contains("truncating", StringComparison.Ordinal));
            await client.CallAsync("SET", "after", "1");
        }

        await using (var server = await Start())
        {
            await using var client = await RawClient.ConnectAsync(server.EndPoint);
            Assert.Equal("1", await client.CallAsync("GET", "after"));
            Assert.Equal(101L, await client.CallAsync("DBSIZE"));
        }
    }

    [Fact]
    public async Task The_log_is_rewritten_in_the_background_and_still_replays()
    {
        await using (var server = await Start(rewriteMin: 200 * 1024))
        {
            await using var client = await RawClient.ConnectAsync(server.EndPoint);
            var value = new string('x', 500);
            for (var round = 0; round < 10; round++)
            {
                for (var i = 0; i < 100; i++)
                {
                    await client.SendRawAsync(RawClient.Encode("SET", $"key:{i}", $"{round}:{value}"));
                }

                for (var i = 0; i < 100; i++)
                {
                    await client.ReadReplyAsync();
                }
            }

            await client.CallAsync("HSET", "hash", "f", "v");
            await Eventually.UntilAsync(async () => await RewritesAsync(client) >= 1 && !await RewritingAsync(client), "the automatic rewrite completes");
            await client.CallAsync("SET", "after-rewrite", "yes");
            // An automatic rewrite may still start after the last write; BGREWRITEAOF is refused while one runs.
            var before = 0;
            await Eventually.UntilAsync(
                async () =>
                {
                    before = await RewritesAsync(client);
                    var reply = await client.CallAsync("BGREWRITEAOF");
                    if (reply is RespError error)
                    {
                        Assert.Contains("already in progress", error.Message);
                        return false;
                    }

                    Assert.StartsWith("Background append only file rewriting started", (string)reply!);
                    return true;
                },
                "a manual rewrite starts");
            await Eventually.UntilAsync(async () => await RewritesAsync(client) > before && !await RewritingAsync(client), "the manual rewrite completes");
            await client.CallAsync("SET", "after-second-rewrite", "yes");
        }

        Assert.Single(Directory.GetFiles(_dir.Path, "*.base.aof"));
        Assert.Single(Directory.GetFiles(_dir.Path, "*.incr.aof"));
        Assert.True(new FileInfo(Directory.GetFiles(_dir.Path, "*.base.aof")[0]).Length < 100 * 600, "the base should hold one copy of each key");
        await using (var server = await Start())
        {
            await using var client = await RawClient.ConnectAsync(server.EndPoint);
            Assert.Equal(103L, await client.CallAsync("DBSIZE"));
            Assert.StartsWith("9:", (string)(await client.CallAsync("GET", "key:42"))!);
            Assert.Equal("v", await client.CallAsync("HGET", "hash", "f"));
            Assert.Equal("yes", await client.CallAsync("GET", "after-rewrite"));
            Assert.Equal("yes", await client.CallAsync("GET", "after-second-rewrite"));
        }
    }

    [Fact]
    public async Task Rename_setrange_msetnx_and_float_increments_replay_exactly()
    {
        await using (var server = await Start())
        {
            await using var client = await RawClient.ConnectAsync(server.EndPoint);
            await client.CallAsync("SET", "old", "value", "EX", "1000");
            Assert.Equal("OK", await client.CallAsync("RENAME", "old", "new"));
            await client.CallAsync("SET", "taken", "x");
            Assert.Equal(0L, await client.CallAsync("RENAMENX", "new", "taken"));
            Assert.Equal(8L, await client.CallAsync("SETRANGE", "padded", "5", "abc"));
            await client.CallAsync("SET", "price", "10.5", "EX", "1000");
            Assert.Equal("10.6", await client.CallAsync("INCRBYFLOAT", "price", "0.1"));
            Assert.Equal("3.3", await client.CallAsync("HINCRBYFLOAT", "cart", "total", "3.3"));
            Assert.Equal(1L, await client.CallAsync("MSETNX", "m1", "1", "m2", "2"));
            Assert.Equal(0L, await client.CallAsync("MSETNX", "m2", "changed", "m3", "3"));
            Assert.Equal(0L, await client.CallAsync("PUBLISH", "channel", "not for the log"));
        }

        // Float increments are logged as the resulting value (SET ... KEEPTTL, HSET), as Redis propagates them.
        var log = await File.ReadAllTextAsync(IncrFile());
        Assert.DoesNotContain("INCRBYFLOAT", log, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("PUBLISH", log, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("$3\r\nSET\r\n$5\r\nprice\r\n$4\r\n10.6\r\n$7\r\nKEEPTTL\r\n", log, StringComparison.Ordinal);

        await using (var server = await Start())
        {
            await using var client = await RawClient.ConnectAsync(server.EndPoint);
            Assert.Null(await client.CallAsync("GET", "old"));
            Assert.Equal("value", await client.CallAsync("GET", "new"));
            Assert.InRange((long)(await client.CallAsync("TTL", "new"))!, 990, 1000);
            Assert.Equal("x", await client.CallAsync("GET", "taken"));
            Assert.Equal("\0\0\0\0\0abc", await client.CallAsync("GET", "padded"));
            Assert.Equal("10.6", await client.CallAsync("GET", "price"));
            Assert.InRange((long)(await client.CallAsync("TTL", "price"))!, 990, 1000);
            Assert.Equal("3.3", await client.CallAsync("HGET", "cart", "total"));
            Assert.Equal(new object?[] { "1", "2", null }, await client.CallAsync("MGET", "m1", "m2", "m3"));
        }
    }
}
