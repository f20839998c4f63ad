using System.Net;
using System.Text.Json;
using WebFarm.AspNetCore.Resp.Cluster;
using WebFarm.AspNetCore.Tests.Infrastructure;

namespace WebFarm.AspNetCore.Tests.Cluster;

/// <summary>/healthz on a cluster: a shard with neither master nor replica degrades health, naming its slots and node.</summary>
public sealed class ClusterHealthTests
{
    [Fact]
    public async Task A_lost_shard_degrades_health_naming_its_slot_range_and_node_while_other_slots_keep_working()
    {
        // Full coverage off: the surviving shards keep serving while one has no master (Redis's own choice to make).
        await using var farm = await ClusterFarm.StartAsync(requireFullCoverage: false);
        using var http = FarmApp.CreateClient(new CookieContainer());
        using (var healthy = JsonDocument.Parse(await http.GetStringAsync(farm.First.Url("healthz"))))
        {
            Assert.Equal("Healthy", healthy.RootElement.GetProperty("status").GetString());
        }

        var nodes = await farm.Cluster.NodesAsync();
        var master = nodes.First(n => n.IsMaster);
        var replica = nodes.Single(n => n.MasterId == master.Id);
        await farm.Cluster.NodeOnPort(replica.Port).KillAsync();
        await farm.Cluster.NodeOnPort(master.Port).KillAsync();

        string range = master.Slots.Single();
        var report = await Eventually.ReturnsAsync(async () =>
        {
            using var response = await http.GetAsync(farm.First.Url("healthz"));
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }, r => r.Item2.Contains("\"status\":\"Degraded\"", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "/healthz to turn Degraded");

        // Degraded, not 503: every server shares the cluster, so leaving rotation would not help anyone.
        Assert.Equal(200, report.Item1);
        using var json = JsonDocument.Parse(report.Item2);
        var store = json.RootElement.GetProperty("checks").GetProperty("store");
        Assert.Equal("Degraded", store.GetProperty("status").GetString());
        Assert.Contains($"slots {range} at 127.0.0.1:{master.Port}", store.GetProperty("description").GetString());
        Assert.Contains($"slots {range} at 127.0.0.1:{master.Port}", store.GetProperty("unavailable").GetString());

        // Keys in the other shards still work.
        var client = farm.FirstClient;
        var live = client.ClusterMap!.Shards.First(s => s.Master.Port != master.Port);
        string key = Enumerable.Range(0, 10_000).Select(i => "live-" + i).First(k => client.ClusterMap.ShardFor(ClusterKeySlot.Of(k)) == live);
        Assert.Equal("OK", (await client.ExecuteAsync("SET", key, "still here")).AsString());
    }
}
