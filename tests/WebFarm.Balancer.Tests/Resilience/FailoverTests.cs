using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Events;
using WebFarm.Balancer.Statistics;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Resilience;

/// <summary>
/// Backends as real processes under a bounded concurrent load of GETs through a real balancer: killed, frozen,
/// sick behind working pages. Clients sending GETs must not see the failure, and the server must leave rotation.
/// </summary>
public sealed class FailoverTests
{
    private static FarmOptions Resilient(FarmOptions farm) => farm with
    {
        LoadBalancing = WebFarm.Balancer.LoadBalancing.LoadBalancingAlgorithm.RoundRobin,
        Timeouts = farm.Timeouts with { Connect = TimeSpan.FromSeconds(2), ResponseHeaders = TimeSpan.FromSeconds(1) },
        Retries = new RetryOptions { MaxAttempts = 3 },
        Health = new HealthCheckOptions { Path = "/health", Interval = TimeSpan.FromMilliseconds(300), Timeout = TimeSpan.FromSeconds(1), Rise = 2, Fall = 2 },
        PassiveHealth = new PassiveHealthOptions { MaxFailures = 2, Window = TimeSpan.FromSeconds(10), ReactivationPeriod = TimeSpan.FromSeconds(30) },
    };

    [Fact]
    public Task Kill_9_of_a_backend_mid_run_fails_no_GET_and_takes_it_out_of_rotation() => BackendProcess.WithManyAsync(3, async backends =>
    {
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backends.Select(b => b.Address), Resilient));
        var web2 = balancer.Runtime.GetServer("web", "web2");
        var killedAt = TimeSpan.Zero;
        // Steps follow completed requests, not the clock: a busy machine makes the run longer, not different.
        var run = await LoadRun.RunAsync(balancer.Uri, workers: 8, duration: TimeSpan.FromSeconds(60), during: async r =>
        {
            await r.CompletedMoreAsync(60, TimeSpan.FromSeconds(30), "load before the kill");
            backends[1].Kill(); // returns once the process is gone
            killedAt = r.Now;
            await Eventually.True(() => !web2.Healthy, TimeSpan.FromSeconds(15), "web2 left rotation");
            await r.CompletedMoreAsync(60, TimeSpan.FromSeconds(30), "load after web2 left");
            r.Stop();
        });

        Assert.True(run.Failures.Count == 0, $"{run.Failures.Count} failed: {run.Describe(run.Failures)}");
        Assert.Contains(run.Samples, s => s.Backend == "web2" && s.Started < killedAt);
        Assert.DoesNotContain(run.Samples, s => s.Backend == "web2" && s.Started > killedAt);
        Assert.Contains(run.Samples, s => s.Backend == "web1" && s.Started > killedAt);
        Assert.Contains(run.Samples, s => s.Backend == "web3" && s.Started > killedAt);
        Assert.Contains(balancer.Runtime.Events.Since(0), e => e.Kind == EventKind.Failed && e.Server == "web2");
    });

    [Fact]
    public Task A_backend_that_accepts_but_never_answers_fails_no_GET_and_leaves_rotation_through_its_health_check() => BackendProcess.WithManyAsync(3, async backends =>
    {
        var config = TestBalancer.SingleFarm(backends.Select(b => b.Address), f => Resilient(f) with
        {
            // Only the active check can take it out here.
            PassiveHealth = null,
            Health = new HealthCheckOptions { Path = "/health", Interval = TimeSpan.FromMilliseconds(500), Timeout = TimeSpan.FromMilliseconds(400), Fall = 2, Rise = 2 },
        });
        await using var balancer = await TestBalancer.StartAsync(config);
        var web2 = balancer.Runtime.GetServer("web", "web2");
        var frozenAt = TimeSpan.Zero;
        long attemptsWhenOut = -1;
        var run = await LoadRun.RunAsync(balancer.Uri, workers: 4, duration: TimeSpan.FromSeconds(60), during: async r =>
        {
            await r.CompletedMoreAsync(30, TimeSpan.FromSeconds(30), "load before the freeze");
            backends[1].Freeze();
            frozenAt = r.Now;
            await Eventually.True(() => !web2.Healthy, TimeSpan.FromSeconds(15), "web2 left rotation");

            // The requests the freeze caught end with their response-headers timeout (and go elsewhere); from then
            // on nothing may be sent to web2.
            await Eventually.True(() => web2.InFlight == 0, TimeSpan.FromSeconds(15), "the requests caught by the freeze ended");
            attemptsWhenOut = ServerStatisticsSnapshot.Capture(web2).Requests;
            await r.CompletedMoreAsync(60, TimeSpan.FromSeconds(30), "load after web2 left");
            r.Stop();
        });

        // No GET failed: those caught by the freeze timed out on web2 and were retried on another server.
        Assert.True(run.Failures.Count == 0, $"{run.Failures.Count} failed: {run.Describe(run.Failures)}");
        var stats = ServerStatisticsSnapshot.Capture(web2);
        Assert.True(stats.TransportFailures > 0, "no request met the frozen server, so the retry was not exercised");
        Assert.DoesNotContain(run.Samples, s => s.Backend == "web2" && s.Started > frozenAt);

        // Out of rotation, it gets nothing, and what took it out was its health check timing out.
        Assert.Equal(attemptsWhenOut, stats.Requests);
        Assert.Contains(balancer.Runtime.Events.Since(0), e => e.Kind == EventKind.Failed && e.Server == "web2"
            && e.Message.Contains("health check failed 2 time(s) in a row (GET /health: timed out after 400ms", StringComparison.Ordinal));
    });

    [Fact]
    public Task A_backend_whose_health_endpoint_turns_500_while_its_pages_work_leaves_rotation_and_rejoins() => BackendProcess.WithManyAsync(2, async backends =>
    {
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backends.Select(b => b.Address), Resilient));
        var web2 = balancer.Runtime.GetServer("web", "web2");

        await backends[1].SetHealthStatusAsync(500);
        await Eventually.True(() => !web2.Healthy, TimeSpan.FromSeconds(10), "web2 left rotation");

        // Its pages still work when asked directly (NLB could not see this failure)...
        using var direct = new HttpClient();
        Assert.Equal("web2", await direct.GetStringAsync(backends[1].Uri));
        // ...but the balancer no longer sends it anything.
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("web1", await balancer.Client.GetStringAsync("/page"));
        }

        var failed = Assert.Single(balancer.Runtime.Events.Since(0), e => e.Kind == EventKind.Failed);
        Assert.Equal("web2", failed.Server);
        Assert.Contains("status 500", failed.Message, StringComparison.Ordinal);

        // The health endpoint recovers: back in rotation after Rise passing checks.
        await backends[1].SetHealthStatusAsync(200);
        await Eventually.True(() => web2.Healthy, TimeSpan.FromSeconds(10), "web2 rejoined");
        Assert.Contains(balancer.Runtime.Events.Since(0), e => e.Kind == EventKind.Rejoined && e.Server == "web2");
    });

    [Fact]
    public Task Passive_health_takes_a_failing_server_out_and_reactivates_it_by_itself() => BackendProcess.WithManyAsync(2, async backends =>
    {
        var config = TestBalancer.SingleFarm(backends.Select(b => b.Address), f => f with
        {
            Health = null, // no active check: reactivation is passive health's job
            PassiveHealth = new PassiveHealthOptions
            {
                FailureStatus = StatusCodeSet.Parse("500-599"),
                MaxFailures = 3,
                Window = TimeSpan.FromSeconds(10),
                ReactivationPeriod = TimeSpan.FromSeconds(1),
            },
        });
        await using var balancer = await TestBalancer.StartAsync(config);
        var web2 = balancer.Runtime.GetServer("web", "web2");
        await backends[1].SetPageStatusAsync(503);

        var statuses = new List<int>();
        await Eventually.True(
            async () =>
            {
                using var response = await balancer.Client.GetAsync("/page");
                statuses.Add((int)response.StatusCode);
                return !web2.Healthy;
            },
            TimeSpan.FromSeconds(10),
            "web2 left rotation");
        Assert.Equal(3, statuses.Count(s => s == 503)); // MaxFailures, then no more traffic to it

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal("web1", await balancer.Client.GetStringAsync("/page"));
        }

        await backends[1].SetPageStatusAsync(200);
        await Eventually.True(() => web2.Healthy, TimeSpan.FromSeconds(10), "web2 was reactivated");
        var rejoined = Assert.Single(balancer.Runtime.Events.Since(0), e => e.Kind == EventKind.Rejoined);
        Assert.Contains("reactivated after 1s", rejoined.Message, StringComparison.Ordinal);
        await Eventually.True(async () => await balancer.Client.GetStringAsync("/page") == "web2", TimeSpan.FromSeconds(10), "web2 serves again");
    });
}
