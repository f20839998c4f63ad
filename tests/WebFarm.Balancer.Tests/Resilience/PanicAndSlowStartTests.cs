using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Events;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.LoadBalancing;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Resilience;

public sealed class PanicAndSlowStartTests
{
    private static async Task<HashSet<string>> BackendsSeen(TestBalancer balancer, int requests)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < requests; i++)
        {
            using var response = await balancer.Client.GetAsync("/page");
            Assert.True(response.IsSuccessStatusCode, $"status {(int)response.StatusCode}");
            seen.Add(await response.Content.ReadAsStringAsync());
        }

        return seen;
    }

    [Fact]
    public Task Below_the_minimum_healthy_servers_traffic_goes_to_every_server_not_offline() => BackendProcess.WithManyAsync(3, async backends =>
    {
        var config = TestBalancer.SingleFarm(backends.Select(b => b.Address), f => f with
        {
            LoadBalancing = LoadBalancingAlgorithm.RoundRobin,
            MinimumHealthyServers = 2,
            Health = new HealthCheckOptions { Path = "/health", Interval = TimeSpan.FromMilliseconds(200), Timeout = TimeSpan.FromSeconds(1) },
        });
        await using var balancer = await TestBalancer.StartAsync(config);
        var farm = balancer.Runtime.GetFarm("web");

        await backends[0].SetHealthStatusAsync(500);
        await Eventually.True(() => !balancer.Runtime.GetServer("web", "web1").Healthy, TimeSpan.FromSeconds(10), "web1 unhealthy");
        Assert.False(farm.InPanic); // two healthy servers: at the minimum
        Assert.Equal(["web2", "web3"], (await BackendsSeen(balancer, 12)).Order());

        await backends[1].SetHealthStatusAsync(500);
        await Eventually.True(() => !balancer.Runtime.GetServer("web", "web2").Healthy, TimeSpan.FromSeconds(10), "web2 unhealthy");
        // Panic (decided on the request path): the unhealthy servers take traffic again (all three pages work).
        Assert.Equal(["web1", "web2", "web3"], (await BackendsSeen(balancer, 12)).Order());
        Assert.True(farm.InPanic);
        Assert.Single(balancer.Runtime.Events.Since(0), e => e.Kind == EventKind.PanicEntered);

        // ...but never an Offline one.
        balancer.Runtime.SetState("web", "web1", ServerState.Offline);
        Assert.Equal(["web2", "web3"], (await BackendsSeen(balancer, 12)).Order());

        await backends[1].SetHealthStatusAsync(200);
        await Eventually.True(() => balancer.Runtime.GetServer("web", "web2").Healthy, TimeSpan.FromSeconds(10), "web2 healthy again");
        Assert.Equal(["web2", "web3"], (await BackendsSeen(balancer, 12)).Order());
        Assert.False(farm.InPanic);
        Assert.Single(balancer.Runtime.Events.Since(0), e => e.Kind == EventKind.PanicLeft);
    });

    [Fact]
    public Task A_server_that_comes_back_ramps_up_its_share_of_traffic_over_the_slow_start_period() => BackendProcess.WithManyAsync(2, async backends =>
    {
        var config = TestBalancer.SingleFarm(backends.Select(b => b.Address), f => f with
        {
            LoadBalancing = LoadBalancingAlgorithm.RoundRobin,
            SlowStart = TimeSpan.FromSeconds(4),
        });
        await using var balancer = await TestBalancer.StartAsync(config);
        balancer.Runtime.SetState("web", "web2", ServerState.Offline);
        balancer.Runtime.SetState("web", "web2", ServerState.Online);

        // Sequential GETs for 5 s, recording when each went where; past 5 s only while the fully-warmed window has
        // fewer than 40 samples (a loaded machine: at load average 40 a 0.8 s window got under 20), and never past
        // 30 s or 50k requests. Past the slow-start period the weight is final, so a longer late window is the same.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var samples = new List<(TimeSpan At, bool Web2)>();
        var late = 0;
        while ((clock.Elapsed < TimeSpan.FromSeconds(5) || late < 40) && clock.Elapsed < TimeSpan.FromSeconds(30) && samples.Count < 50_000)
        {
            var at = clock.Elapsed;
            var body = await balancer.Client.GetStringAsync("/page");
            samples.Add((at, body == "web2"));
            if (at.TotalSeconds >= 4.2)
            {
                late++;
            }
        }

        double Share(double from, double to)
        {
            var window = samples.Where(s => s.At.TotalSeconds >= from && s.At.TotalSeconds < to).ToList();
            Assert.True(window.Count >= 20, $"only {window.Count} requests in [{from}s, {to}s)");
            return window.Count(s => s.Web2) / (double)window.Count;
        }

        var early = Share(0, 1);     // weight factor 5%..25%: share well under a half
        var warmed = Share(4.2, 30); // fully warmed: an even split
        Assert.True(early < 0.3, $"share in the first second {early:P0}");
        Assert.InRange(warmed, 0.4, 0.6);
        Assert.True(Share(1, 2.5) > early, "the share did not grow");
    });
}
