using WebFarm.AspNetCore.Resp;
using WebFarm.AspNetCore.Tests.Infrastructure;

namespace WebFarm.AspNetCore.Tests.Cluster;

/// <summary>Two member apps whose WebFarm store is a cluster (all six nodes as seeds, topology detected).</summary>
internal sealed class ClusterFarm : IAsyncDisposable
{
    private ClusterFarm(RedisCluster cluster, FarmApp first, FarmApp second)
    {
        Cluster = cluster;
        First = first;
        Second = second;
    }

    public RedisCluster Cluster { get; }

    public FarmApp First { get; }

    public FarmApp Second { get; }

    public RespClient FirstClient => (RespClient)First.App.Services.GetService(typeof(RespClient))!;

    public static Dictionary<string, string?> Settings(RedisCluster cluster)
    {
        var settings = new Dictionary<string, string?> { ["WebFarm:Store"] = "Resp", ["WebFarm:StoreTimeout"] = "00:00:05" };
        int i = 0;
        foreach (var endPoint in cluster.EndPoints)
        {
            settings[$"WebFarm:StateEndpoints:{i++}"] = endPoint;
        }

        return settings;
    }

    public static async Task<ClusterFarm> StartAsync(bool requireFullCoverage = true, int writeReplicas = 0)
    {
        var cluster = await RedisCluster.StartAsync(requireFullCoverage);
        try
        {
            var settings = Settings(cluster);
            settings["WebFarm:StateWriteReplicas"] = writeReplicas.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var first = await FarmApp.StartAsync(settings);
            var second = await FarmApp.StartAsync(settings);
            return new ClusterFarm(cluster, first, second);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The master holding the most session keys of the test app (so breaking it hits sessions for sure).</summary>
    public async Task<RedisServer> MasterWithMostSessionsAsync()
    {
        RedisServer? best = null;
        int bestCount = -1;
        foreach (var node in (await Cluster.NodesAsync()).Where(n => n.IsMaster && !n.IsFailed))
        {
            var server = Cluster.NodeOnPort(node.Port);
            string keys = await server.CliAsync("--scan", "--pattern", "FarmTestApp:*");
            int count = keys.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(k => !k.Contains("DataProtection", StringComparison.Ordinal));
            if (count > bestCount)
            {
                best = server;
                bestCount = count;
            }
        }

        Assert.True(bestCount > 0, "no master holds a session key");
        return best!;
    }

    public async ValueTask DisposeAsync()
    {
        await First.DisposeAsync();
        await Second.DisposeAsync();
        await Cluster.DisposeAsync();
    }
}
