using System.Net;
using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Events;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.LoadBalancing;
using WebFarm.Balancer.Statistics;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Farms;

/// <summary>Per-server concurrency limits and queues, retries/redispatch, panic mode, slow start.</summary>
[Collection(TimingCollection.Name)]
public sealed class LimitsAndResilienceTests
{
    [Fact]
    public async Task Requests_over_the_limit_queue_in_order_and_a_full_queue_is_503()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var arrived = 0;
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            Interlocked.Increment(ref arrived);
            await release.Task.WaitAsync(TimeSpan.FromSeconds(20));
            await context.Response.WriteAsync("done " + context.Request.Path);
        });
        var config = TestBalancer.SingleFarm([backend.Address], f => f with
        {
            Limits = new LimitOptions { MaxConcurrentRequestsPerServer = 1, QueueLength = 1, QueueTimeout = TimeSpan.FromSeconds(20) },
        });
        await using var balancer = await TestBalancer.StartAsync(config);
        var server = balancer.Runtime.Farms["web"].Servers[0];

        var first = balancer.Client.GetStringAsync("/1");
        await Eventually.True(() => Volatile.Read(ref arrived) == 1);
        var second = balancer.Client.GetStringAsync("/2");
        await Eventually.True(() => server.Gate!.Queued == 1);

        using var third = await balancer.Client.GetAsync("/3");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, third.StatusCode);
        Assert.Contains("at its limit of 1 concurrent requests and its queue of 1 is full", await third.Content.ReadAsStringAsync());
        Assert.Equal(1, Volatile.Read(ref arrived));

        release.SetResult();
        Assert.Equal("done /1", await first);
        Assert.Equal("done /2", await second);
        Assert.Equal(1, balancer.Runtime.Farms["web"].Statistics.QueueRejections);
    }

    [Fact]
    public async Task A_queued_request_gets_503_when_the_queue_timeout_passes()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            await release.Task.WaitAsync(TimeSpan.FromSeconds(20));
            await context.Response.WriteAsync("ok");
        });
        var config = TestBalancer.SingleFarm([backend.Address], f => f with
        {
            Limits = new LimitOptions { MaxConcurrentRequestsPerServer = 1, QueueLength = 10, QueueTimeout = TimeSpan.FromMilliseconds(300) },
        });
        await using var balancer = await TestBalancer.StartAsync(config);

        var first = balancer.Client.GetStringAsync("/1");
        await Eventually.True(() => backend.Requests == 1);
        using var second = await balancer.Client.GetAsync("/2");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.StatusCode);
        Assert.Contains("no slot freed within 300ms", await second.Content.ReadAsStringAsync());
        release.SetResult();
        Assert.Equal("ok", await first);
        Assert.Equal(0, balancer.Runtime.Farms["web"].Servers[0].Gate!.Queued);
    }

    [Fact]
    public async Task Connect_failures_are_retried_on_another_server_for_any_method_with_its_body()
    {
        await using var good = await TestBackend.StartAsync(async context =>
            await context.Response.WriteAsync(context.Request.Method + ":" + await new StreamReader(context.Request.Body).ReadToEndAsync()));
        var config = TestBalancer.SingleFarm([RawHttp.ClosedPortAddress(), good.Address], f => f with { LoadBalancing = LoadBalancingAlgorithm.First });
        await using var balancer = await TestBalancer.StartAsync(config);

        for (var i = 0; i < 5; i++)
        {
            using var response = await balancer.Client.PostAsync("/order", new StringContent($"order {i}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal($"POST:order {i}", await response.Content.ReadAsStringAsync());
        }

        var dead = balancer.Runtime.Farms["web"].Servers[0];
        Assert.Equal(5, ServerStatisticsSnapshot.Capture(dead).TransportFailures);
    }

    [Fact]
    public async Task Idempotent_requests_are_retried_when_the_connection_dies_before_headers_but_posts_are_not()
    {
        // Reads the request, then closes without answering.
        await using var dropper = new RawHttp.Server(async (stream, ct) => await RawHttp.ReadHeadAsync(stream, ct));
        await using var good = await TestBackend.StartAsync(async context =>
            await context.Response.WriteAsync("good:" + await new StreamReader(context.Request.Body).ReadToEndAsync()));
        var config = TestBalancer.SingleFarm([dropper.Address, good.Address], f => f with { LoadBalancing = LoadBalancingAlgorithm.First });
        await using var balancer = await TestBalancer.StartAsync(config);

        Assert.Equal("good:", await balancer.Client.GetStringAsync("/page"));
        using (var put = await balancer.Client.PutAsync("/doc", new StringContent("small body")))
        {
            Assert.Equal("good:small body", await put.Content.ReadAsStringAsync());
        }

        var connectionsBefore = dropper.Connections;
        using var post = await balancer.Client.PostAsync("/pay", new StringContent("once only"));
        Assert.Equal(HttpStatusCode.BadGateway, post.StatusCode);
        Assert.True(dropper.Connections > connectionsBefore);
        Assert.Equal(2, good.Requests);
    }

    [Fact]
    public async Task Below_minimum_healthy_servers_every_online_server_takes_traffic_with_panic_events()
    {
        await using var a = await TestBackend.StartNamedAsync("a");
        await using var b = await TestBackend.StartNamedAsync("b");
        var config = TestBalancer.SingleFarm([a.Address, b.Address], f => f with { MinimumHealthyServers = 2 });
        await using var balancer = await TestBalancer.StartAsync(config);
        var runtime = balancer.Runtime;

        runtime.SetHealth("web", "web1", false, "test says so");
        var seen = new HashSet<string>();
        for (var i = 0; i < 10; i++)
        {
            seen.Add(await balancer.Client.GetStringAsync("/"));
        }

        Assert.Contains("a", seen);
        Assert.True(runtime.Farms["web"].InPanic);
        Assert.Contains(runtime.Events.Since(0), e => e.Kind == EventKind.PanicEntered && e.Farm == "web");
        Assert.Contains(runtime.Events.Since(0), e => e.Kind == EventKind.Failed && e.Server == "web1");

        runtime.SetHealth("web", "web1", true, "better");
        await balancer.Client.GetStringAsync("/");
        Assert.False(runtime.Farms["web"].InPanic);
        Assert.Contains(runtime.Events.Since(0), e => e.Kind == EventKind.PanicLeft);

        // Without panic mode an unhealthy server gets nothing.
        var plain = TestBalancer.SingleFarm(a, b);
        await using var other = await TestBalancer.StartAsync(plain);
        other.Runtime.SetHealth("web", "web1", false, "down");
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal("b", await other.Client.GetStringAsync("/"));
        }
    }

    [Fact]
    public async Task Slow_start_ramps_the_effective_weight_after_a_server_comes_back()
    {
        await using var a = await TestBackend.StartNamedAsync("a");
        var config = TestBalancer.SingleFarm([a.Address], f => f with { SlowStart = TimeSpan.FromSeconds(2) });
        await using var balancer = await TestBalancer.StartAsync(config);
        var server = balancer.Runtime.Farms["web"].Servers[0];
        server.Weight = 10;
        Assert.Equal(10, server.EffectiveWeight);

        balancer.Runtime.SetState("web", "web1", ServerState.Offline);
        balancer.Runtime.SetState("web", "web1", ServerState.Online);
        Assert.True(server.EffectiveWeight < 5, $"just back: {server.EffectiveWeight}");
        await Eventually.True(() => server.EffectiveWeight is > 1 and < 10, TimeSpan.FromSeconds(5), "ramping");
        await Eventually.True(() => server.EffectiveWeight == 10, TimeSpan.FromSeconds(10), "full weight after the period");
    }
}
