using System.Net;
using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Statistics;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Farms;

/// <summary>
/// A request that read a farm's view before a reload removed the farm (docs/architecture.md, "Snapshots, not locks",
/// invariant 3): it must get a 503 rather than look for a newer view that never comes.
/// </summary>
[Collection(TimingCollection.Name)]
public sealed class RemovedFarmReloadTests
{
    // Generous: the machine is shared; a request that never ends (the defect) fails here instead of hanging the run.
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_request_queued_on_a_farm_a_reload_removes_gets_503_when_the_slot_frees(bool frontEnd)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            await release.Task.WaitAsync(Bound);
            await context.Response.WriteAsync("done " + context.Request.Path);
        });
        await using var other = await TestBackend.StartNamedAsync("other1");
        var limits = new LimitOptions { MaxConcurrentRequestsPerServer = 1, QueueLength = 1, QueueTimeout = TimeSpan.FromMinutes(5) };
        var config = TestBalancer.SingleFarm([backend.Address], f => f with { Limits = limits }) with { Http1FrontEnd = frontEnd };
        await using var balancer = await TestBalancer.StartAsync(config);
        var server = balancer.Runtime.Farms["web"].Servers[0];

        // A holds the server's only slot; B waits in its queue, holding the view of farm 'web' it read.
        var first = balancer.Client.GetAsync("/a");
        await Eventually.True(() => backend.Requests == 1);
        var second = balancer.Client.GetAsync("/b");
        await Eventually.True(() => server.Gate!.Queued == 1);

        // The reload keeps only a farm of another name: 'web' is removed and its transport retired.
        var replacement = TestBalancer.SingleFarm([other.Address]);
        balancer.Runtime.Apply(new BalancerConfig
        {
            Http1FrontEnd = frontEnd,
            Farms = new Dictionary<string, FarmOptions> { ["other"] = replacement.Farms["web"] },
        });
        Assert.False(balancer.Runtime.Farms.ContainsKey("web"));

        // A's slot frees; B enters the gate and finds only the retired transport.
        release.SetResult();
        using var a = await first.WaitAsync(Bound);
        Assert.Equal(HttpStatusCode.OK, a.StatusCode);
        Assert.Equal("done /a", await a.Content.ReadAsStringAsync());

        using var b = await second.WaitAsync(Bound);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, b.StatusCode);
        Assert.Contains("farm 'web' was removed by a configuration reload", await b.Content.ReadAsStringAsync());
        Assert.Equal(TimeSpan.FromSeconds(5), b.Headers.RetryAfter?.Delta);

        // B never reached the server, is not held against it, and gave its slot back.
        Assert.Equal(1, backend.Requests);
        var stats = ServerStatisticsSnapshot.Capture(server);
        Assert.Equal(0, stats.TransportFailures);
        Assert.Equal(0, stats.InFlight);
        Assert.Equal(0, server.Gate!.Queued);
        Assert.Equal(0, server.Gate.Active);

        // The path under test is the one asked for: the front end's own, or Kestrel's.
        if (frontEnd)
        {
            Assert.True(balancer.Runtime.FrontEnd.Requests >= 2);
        }
        else
        {
            Assert.Equal(0, balancer.Runtime.FrontEnd.Requests);
        }
    }
}
