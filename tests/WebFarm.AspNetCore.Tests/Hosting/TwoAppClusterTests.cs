using WebFarm.AspNetCore.Resp;
using WebFarm.AspNetCore.Tests.Infrastructure;

namespace WebFarm.AspNetCore.Tests.Hosting;

/// <summary>
/// Two apps sharing sessions, auth cookies, antiforgery tokens and the Data Protection key ring through a real
/// 3-master Redis Cluster. Configuration names one node only: the cluster is detected (cluster_enabled:1).
/// </summary>
public sealed class TwoAppClusterTests(RedisClusterFixture fixture) : TwoAppContract, IClassFixture<RedisClusterFixture>
{
    protected override Task<Dictionary<string, string?>> StoreSettingsAsync() => Task.FromResult(new Dictionary<string, string?>
    {
        ["WebFarm:Store"] = "Resp",
        ["WebFarm:StateEndpoints:0"] = fixture.Cluster.Nodes[0].EndPoint,
    });

    [Fact]
    public async Task The_apps_run_in_cluster_mode_with_the_cache_layout_of_a_single_node()
    {
        using var client = FarmApp.CreateClient(new System.Net.CookieContainer());
        Assert.Equal("stored", await client.GetStringAsync(First.Url("session/set?value=layout")));
        var resp = (RespClient)First.App.Services.GetService(typeof(RespClient))!;
        Assert.Equal(RespTopology.Cluster, resp.Topology);

        // The session is a hash with absexp/sldexp/data under "<application>:<session id>", on the master of its slot.
        string? sessionKey = null;
        foreach (var node in fixture.Cluster.Nodes)
        {
            foreach (var key in (await node.CliAsync("--scan", "--pattern", "FarmTestApp:*")).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!key.Contains("DataProtection", StringComparison.Ordinal) && (await node.CliAsync("ROLE")).StartsWith("master", StringComparison.Ordinal))
                {
                    Assert.Equal("absexp\nsldexp\ndata", await node.CliAsync("HKEYS", key));
                    sessionKey ??= key;
                }
            }
        }

        Assert.NotNull(sessionKey);
        Assert.Contains("cluster of 3 masters", await client.GetStringAsync(First.Url("healthz")));
    }
}
