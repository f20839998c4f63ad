using System.Globalization;
using System.Text.RegularExpressions;
using WebFarm.State.Hosting;
using WebFarm.State.Tests.Infrastructure;

namespace WebFarm.State.Tests;

public sealed class EvictionTests
{
    [Fact]
    public async Task Maxmemory_evicts_least_recently_used_keys_and_keeps_hot_ones()
    {
        const long maxMemory = 256 * 1024;
        await using var server = await StateServer.StartAsync(new StateServerOptions { Port = 0, MaxMemoryBytes = maxMemory });
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
}
