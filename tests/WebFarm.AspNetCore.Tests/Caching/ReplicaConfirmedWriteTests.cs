using Microsoft.Extensions.Caching.Distributed;
using WebFarm.AspNetCore.Caching;
using WebFarm.AspNetCore.Resp;
using WebFarm.AspNetCore.Tests.Infrastructure;

namespace WebFarm.AspNetCore.Tests.Caching;

/// <summary>StateWriteReplicas: a cache write counts as stored only once enough replicas confirmed it (WAIT).</summary>
public sealed class ReplicaConfirmedWriteTests
{
    private static readonly DistributedCacheEntryOptions Sliding = new() { SlidingExpiration = TimeSpan.FromMinutes(5) };

    [Fact]
    public async Task Without_a_replica_the_write_is_refused_with_a_clear_error_and_with_one_it_is_stored()
    {
        await using var primary = await RedisServer.StartAsync();
        var options = new RespClientOptions { CommandTimeout = TimeSpan.FromSeconds(2) };
        options.EndPoints.Add(primary.EndPoint);
        await using var client = new RespClient(options);
        var cache = new RespDistributedCache(client, "app:", writeReplicas: 1);

        var error = await Assert.ThrowsAsync<RespReplicationException>(() => cache.SetAsync("s1", [1, 2, 3], Sliding));
        Assert.Contains("confirmed by 0 of 1 required replicas", error.Message);
        Assert.Contains("app:s1", error.Message);

        await using var replica = await RedisServer.StartAsync();
        await replica.CliAsync("REPLICAOF", "127.0.0.1", primary.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Eventually.TrueAsync(async () => (await replica.CliAsync("INFO", "replication")).Contains("master_link_status:up", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "the replica to sync");
        await cache.SetAsync("s2", [4, 5, 6], Sliding);
        Assert.Equal([4, 5, 6], await cache.GetAsync("s2"));
        Assert.Equal("data", (await replica.CliAsync("HKEYS", "app:s2")).Split('\n')[^1]);
    }
}
