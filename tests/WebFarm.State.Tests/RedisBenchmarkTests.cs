using WebFarm.State.Hosting;
using WebFarm.State.Tests.Infrastructure;

namespace WebFarm.State.Tests;

/// <summary>redis-benchmark as a client workload (small and bounded; performance is measured in bench/state).</summary>
public sealed class RedisBenchmarkTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    public async Task Redis_benchmark_completes_set_get_hset_with_and_without_pipelining(int pipeline)
    {
        await using var server = await StateServer.StartAsync(new StateServerOptions { Port = 0 });
        var (exit, output, error) = await RedisTools.RunAsync(
            "redis-benchmark",
            $"-h 127.0.0.1 -p {server.Port} -t set,get,hset -n 5000 -c 20 -P {pipeline} -q",
            timeout: TimeSpan.FromSeconds(90));
        Assert.True(exit == 0, error);
        foreach (var test in new[] { "SET", "GET", "HSET" })
        {
            Assert.Contains($"{test}: ", output);
        }

        Assert.DoesNotContain("ERR", output + error);
        // Without -r, redis-benchmark uses one key per test, with a 3-byte value (-d default).
        Assert.Equal("3", await RedisTools.CliAsync(server.EndPoint, "STRLEN key:__rand_int__"));
        Assert.Equal("1", await RedisTools.CliAsync(server.EndPoint, "HLEN myhash"));
        Assert.Equal("2", await RedisTools.CliAsync(server.EndPoint, "DBSIZE"));
    }
}
