using System.Globalization;
using System.Text.RegularExpressions;
using WebFarm.State.Hosting;
using WebFarm.State.Storage;
using WebFarm.State.Tests.Infrastructure;

namespace WebFarm.State.Tests;

public sealed class EvictionTests
{
    private const string Oom = "OOM command not allowed when used memory > 'maxmemory'.";

    [Fact]
    public async Task Maxmemory_evicts_least_recently_used_keys_and_keeps_hot_ones()
    {
        const long maxMemory = 256 * 1024;
        await using var server = await StateServer.StartAsync(new StateServerOptions { Port = 0, MaxMemoryBytes = maxMemory, MaxMemoryPolicy = MaxMemoryPolicy.AllKeysLru });
        await using var client = await RawClient.ConnectAsync(server.EndPoint);
        var value = new string('v', 1024);
        Assert.Equal("OK", await client.CallAsync("SET", "hot", value));
        for (var i = 0; i < 2000; i++)
        {
            Assert.Equal("OK", await client.CallAsync("SET", $"cold:{i}", value));
            Assert.Equal(value, await client.CallAsync("GET", "hot"));
        }

        var memory = (string)(await client.CallAsync("INFO", "memory"))!;
        var used = long.Parse(Regex.Match(memory, @"used_memory:(\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(used <= maxMemory, $"used_memory {used} exceeds maxmemory {maxMemory}");
        Assert.Contains($"maxmemory:{maxMemory}", memory);
        var stats = (string)(await client.CallAsync("INFO", "stats"))!;
        var evicted = long.Parse(Regex.Match(stats, @"evicted_keys:(\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        var size = (long)(await client.CallAsync("DBSIZE"))!;
        Assert.True(evicted > 1000, $"only {evicted} keys were evicted");
        Assert.Equal(2001, size + evicted);
        Assert.Equal(value, await client.CallAsync("GET", "hot"));
        // The most recent writes are the youngest and survive; approximate LRU removes the old ones first.
        Assert.Equal(value, await client.CallAsync("GET", "cold:1999"));
        Assert.Equal("PONG", await client.CallAsync("PING"));
    }

    [Theory]
    [InlineData("noeviction")]
    [InlineData("allkeys-lru")]
    [InlineData("volatile-lru")]
    [InlineData("allkeys-random")]
    [InlineData("volatile-random")]
    [InlineData("volatile-ttl")]
    public async Task A_write_that_cannot_fit_is_refused_with_oom_and_never_stored(string policy)
    {
        await using var server = await StateServer.StartAsync(new StateServerOptions { Port = 0 });
        await using var client = await RawClient.ConnectAsync(server.EndPoint);
        Assert.Equal("OK", await client.CallAsync("SET", "kept", "v", "EX", "1000"));
        Assert.Equal("OK", await client.CallAsync("CONFIG", "SET", "maxmemory-policy", policy));
        Assert.Equal("OK", await client.CallAsync("CONFIG", "SET", "maxmemory", "1"));
        Assert.Equal(Oom, Assert.IsType<RespError>(await client.CallAsync("SET", "x", "1")).Message);
        Assert.Null(await client.CallAsync("GET", "x"));

        // A single value larger than maxmemory: refused, and it evicts nothing on its way.
        Assert.Equal("OK", await client.CallAsync("CONFIG", "SET", "maxmemory", "1mb"));
        Assert.Equal(Oom, Assert.IsType<RespError>(await client.CallAsync("SET", "big", new string('b', 2 * 1024 * 1024))).Message);
        Assert.Equal(0L, await client.CallAsync("EXISTS", "big"));
        Assert.Equal("v", await client.CallAsync("GET", "kept"));

        var info = (string)(await client.CallAsync("INFO"))!;
        Assert.Contains($"maxmemory_policy:{policy}\r\n", info);
        Assert.Contains("maxmemory:1048576\r\n", info);
        Assert.Contains("rejected_writes:2\r\n", info);
        Assert.Contains("evicted_keys:0\r\n", info);
        Assert.Equal($"maxmemory-policy {policy}", string.Join(' ', (object?[])(await client.CallAsync("CONFIG", "GET", "maxmemory-policy"))!));
    }

    [Fact]
    public async Task Noeviction_is_the_default_and_refuses_writes_that_need_memory_but_not_deletes()
    {
        await using var server = await StateServer.StartAsync(new StateServerOptions { Port = 0, MaxMemoryBytes = 64 * 1024 });
        await using var client = await RawClient.ConnectAsync(server.EndPoint);
        var value = new string('v', 1024);
        var stored = 0;
        object? reply;
        while ((reply = await client.CallAsync("SET", $"k:{stored}", value)) is "OK")
        {
            stored++;
            Assert.True(stored < 1000, "maxmemory never refused a write");
        }

        Assert.Equal(Oom, Assert.IsType<RespError>(reply).Message);
        Assert.InRange(stored, 40, 64);
        Assert.Equal((long)stored, await client.CallAsync("DBSIZE"));
        Assert.Equal(Oom, Assert.IsType<RespError>(await client.CallAsync("HSET", "h", "f", value)).Message);
        Assert.Equal(Oom, Assert.IsType<RespError>(await client.CallAsync("APPEND", "k:0", value)).Message);
        Assert.Equal(value, await client.CallAsync("GET", "k:0"));

        // Writes that free or do not need memory go through (Redis: no denyoom flag).
        Assert.Equal(1L, await client.CallAsync("EXPIRE", "k:1", "100"));
        Assert.Equal(1L, await client.CallAsync("DEL", "k:0"));
        Assert.Equal(1L, await client.CallAsync("DEL", "k:2"));
        Assert.Equal("OK", await client.CallAsync("SET", "k:0", value));

        var info = (string)(await client.CallAsync("INFO"))!;
        Assert.Contains("maxmemory_policy:noeviction\r\n", info);
        Assert.Contains("evicted_keys:0\r\n", info);
        Assert.Contains("rejected_writes:3\r\n", info);
        Assert.Matches(@"used_memory:\d+\r\n", info);
    }

    [Fact]
    public async Task Multi_refuses_to_queue_a_write_when_out_of_memory_and_exec_aborts()
    {
        await using var server = await StateServer.StartAsync(new StateServerOptions { Port = 0 });
        await using var client = await RawClient.ConnectAsync(server.EndPoint);
        Assert.Equal("OK", await client.CallAsync("SET", "a", "1"));
        Assert.Equal("OK", await client.CallAsync("CONFIG", "SET", "maxmemory", "1"));
        Assert.Equal("OK", await client.CallAsync("MULTI"));
        Assert.Equal("QUEUED", await client.CallAsync("GET", "a"));
        Assert.Equal(Oom, Assert.IsType<RespError>(await client.CallAsync("SET", "x", "1")).Message);
        Assert.Equal("EXECABORT Transaction discarded because of previous errors.", Assert.IsType<RespError>(await client.CallAsync("EXEC")).Message);
        Assert.Null(await client.CallAsync("GET", "x"));

        // Queued while there was room, executed after the limit was lowered: EXEC itself is refused.
        Assert.Equal("OK", await client.CallAsync("CONFIG", "SET", "maxmemory", "0"));
        Assert.Equal("OK", await client.CallAsync("MULTI"));
        Assert.Equal("QUEUED", await client.CallAsync("SET", "y", "1"));
        await using (var admin = await RawClient.ConnectAsync(server.EndPoint))
        {
            Assert.Equal("OK", await admin.CallAsync("CONFIG", "SET", "maxmemory", "1"));
        }

        Assert.Equal("EXECABORT Transaction discarded because of: " + Oom, Assert.IsType<RespError>(await client.CallAsync("EXEC")).Message);
        Assert.Null(await client.CallAsync("GET", "y"));

        // A transaction of reads still runs.
        Assert.Equal("OK", await client.CallAsync("MULTI"));
        Assert.Equal("QUEUED", await client.CallAsync("GET", "a"));
        Assert.Equal(new object?[] { "1" }, await client.CallAsync("EXEC"));
    }

    [Theory]
    [InlineData("allkeys-random")]
    [InlineData("allkeys-lru")]
    [InlineData("volatile-random")]
    [InlineData("volatile-lru")]
    [InlineData("volatile-ttl")]
    public async Task Evicting_policies_make_room_before_the_write_so_an_acknowledged_write_is_readable(string policy)
    {
        const long maxMemory = 64 * 1024;
        await using var server = await StateServer.StartAsync(new StateServerOptions { Port = 0 });
        await using var client = await RawClient.ConnectAsync(server.EndPoint);
        Assert.Equal("OK", await client.CallAsync("SET", "persistent", "p"));
        Assert.Equal("OK", await client.CallAsync("CONFIG", "SET", "maxmemory-policy", policy, "maxmemory", maxMemory.ToString(CultureInfo.InvariantCulture)));
        var value = new string('v', 1024);
        var volatileOnly = policy.StartsWith("volatile", StringComparison.Ordinal);
        for (var i = 0; i < 500; i++)
        {
            Assert.Equal("OK", await client.CallAsync("SET", $"k:{i}", value, "EX", (1000 + i).ToString(CultureInfo.InvariantCulture)));
            Assert.Equal(value, await client.CallAsync("GET", $"k:{i}"));
        }

        var info = (string)(await client.CallAsync("INFO"))!;
        var used = long.Parse(Regex.Match(info, @"used_memory:(\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        var evicted = long.Parse(Regex.Match(info, @"evicted_keys:(\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(used <= maxMemory, $"used_memory {used} exceeds maxmemory {maxMemory}");
        Assert.True(evicted > 400, $"only {evicted} keys were evicted");
        Assert.Contains("rejected_writes:0\r\n", info);
        if (volatileOnly)
        {
            // volatile-* policies only evict keys with a TTL; with none left, writes are refused.
            Assert.Equal("p", await client.CallAsync("GET", "persistent"));
            Assert.Equal("OK", await client.CallAsync("FLUSHALL"));
            Assert.Equal("OK", await client.CallAsync("SET", "persistent", value));
            for (var i = 0; i < 200 && await client.CallAsync("SET", $"plain:{i}", value) is "OK"; i++)
            {
            }

            Assert.Equal(Oom, Assert.IsType<RespError>(await client.CallAsync("SET", "one-more", value)).Message);
            Assert.Equal(value, await client.CallAsync("GET", "persistent"));
        }
    }

    [Theory]
    [InlineData("allkeys-lfu")]
    [InlineData("volatile-lfu")]
    [InlineData("sometimes")]
    public async Task Unsupported_policies_are_refused_with_the_reason(string policy)
    {
        await using var server = await StateServer.StartAsync(new StateServerOptions { Port = 0 });
        await using var client = await RawClient.ConnectAsync(server.EndPoint);
        var error = Assert.IsType<RespError>(await client.CallAsync("CONFIG", "SET", "maxmemory-policy", policy)).Message;
        Assert.StartsWith("ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy')", error);
        Assert.Contains(policy.EndsWith("lfu", StringComparison.Ordinal) ? "LFU is not supported" : "noeviction, allkeys-lru, volatile-lru, allkeys-random, volatile-random, volatile-ttl", error);
        Assert.Equal("maxmemory-policy noeviction", string.Join(' ', (object?[])(await client.CallAsync("CONFIG", "GET", "maxmemory-policy"))!));
    }
}
