using System.Net;
using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Events;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Farms;

/// <summary>Online / Draining / Offline changed live, drain completion, persistence across restarts.</summary>
public sealed class ServerStateTests
{
    private static bool HasEvent(BalancerRuntime runtime, EventKind kind, string server)
        => runtime.Events.Since(0).Any(e => e.Kind == kind && e.Server == server);

    [Fact]
    public async Task Offline_and_draining_servers_take_no_new_requests_and_online_brings_them_back()
    {
        await using var a = await TestBackend.StartNamedAsync("a");
        await using var b = await TestBackend.StartNamedAsync("b");
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(a, b));
        var runtime = balancer.Runtime;

        runtime.SetState("web", "web1", ServerState.Offline);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal("b", await balancer.Client.GetStringAsync("/"));
        }

        runtime.SetState("web", "web1", ServerState.Online);
        runtime.SetState("web", "web2", ServerState.Draining);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal("a", await balancer.Client.GetStringAsync("/"));
        }

        runtime.SetState("web", "web2", ServerState.Online);
        var seen = new HashSet<string>();
        for (var i = 0; i < 10; i++)
        {
            seen.Add(await balancer.Client.GetStringAsync("/"));
        }

        Assert.Equal(["a", "b"], seen.Order());
        Assert.True(HasEvent(runtime, EventKind.GoingOffline, "web1"));
        Assert.True(HasEvent(runtime, EventKind.Offline, "web1"));
        Assert.True(HasEvent(runtime, EventKind.GoingOnline, "web1"));
        Assert.True(HasEvent(runtime, EventKind.Online, "web1"));
        Assert.True(HasEvent(runtime, EventKind.Draining, "web2"));
    }

    [Fact]
    public async Task Draining_lets_in_flight_requests_finish_then_raises_finished_draining()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var slow = await TestBackend.StartAsync(async context =>
        {
            started.TrySetResult();
            await release.Task.WaitAsync(TimeSpan.FromSeconds(20));
            await context.Response.WriteAsync("slow done");
        });
        await using var other = await TestBackend.StartNamedAsync("other");
        var config = TestBalancer.SingleFarm([slow.Address, other.Address], f => f with { LoadBalancing = WebFarm.Balancer.LoadBalancing.LoadBalancingAlgorithm.First });
        await using var balancer = await TestBalancer.StartAsync(config);
        var runtime = balancer.Runtime;

        var inFlight = balancer.Client.GetStringAsync("/long");
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        runtime.SetState("web", "web1", ServerState.Draining);
        var drained = runtime.WaitDrainedAsync("web", "web1");

        Assert.Equal("other", await balancer.Client.GetStringAsync("/new"));
        Assert.False(drained.IsCompleted);
        Assert.False(HasEvent(runtime, EventKind.FinishedDraining, "web1"));

        release.SetResult();
        Assert.Equal("slow done", await inFlight);
        await drained.WaitAsync(TimeSpan.FromSeconds(10));
        await Eventually.True(() => HasEvent(runtime, EventKind.FinishedDraining, "web1"));
        Assert.Equal(1, runtime.Events.Since(0).Count(e => e.Kind == EventKind.FinishedDraining));
    }

    [Fact]
    public async Task State_and_weight_survive_a_restart_unless_the_config_weight_changed()
    {
        await using var a = await TestBackend.StartNamedAsync("a");
        await using var b = await TestBackend.StartNamedAsync("b");
        var directory = TestBalancer.NewDirectory();
        try
        {
            var config = TestBalancer.SingleFarm(a, b);
            await using (var first = await TestBalancer.StartAsync(config, directory))
            {
                first.Runtime.SetState("web", "web1", ServerState.Offline);
                first.Runtime.SetWeight("web", "web2", 7);
            }

            // The file's format: indented camelCase, the state by its name (what earlier versions wrote and read back).
            var saved = await File.ReadAllTextAsync(Path.Combine(directory, "state", "servers.json"));
            Assert.Contains("\"state\": \"Offline\"", saved, StringComparison.Ordinal);
            Assert.Contains("\"weight\": 7", saved, StringComparison.Ordinal);
            await using (var second = await TestBalancer.StartAsync(config, directory))
            {
                var servers = second.Runtime.Farms["web"].Servers;
                Assert.Equal(ServerState.Offline, servers[0].State);
                Assert.Equal(7, servers[1].Weight);
                Assert.Equal("b", await second.Client.GetStringAsync("/"));
            }

            // The operator edited web2's weight in the file: the file wins over the saved live weight.
            var edited = config with
            {
                Farms = new Dictionary<string, FarmOptions>
                {
                    ["web"] = config.Farms["web"] with { Servers = [config.Farms["web"].Servers[0], config.Farms["web"].Servers[1] with { Weight = 3 }] },
                },
            };
            await using (var third = await TestBalancer.StartAsync(edited, directory))
            {
                var servers = third.Runtime.Farms["web"].Servers;
                Assert.Equal(ServerState.Offline, servers[0].State);
                Assert.Equal(3, servers[1].Weight);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task An_unhealthy_verdict_survives_a_restart_and_the_server_joins_once_its_check_passes()
    {
        // web2's health endpoint fails until the test says otherwise; its other paths answer "b". It records the paths
        // it is asked for, in order.
        var healthStatus = 503;
        var pathsAtB = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var a = await TestBackend.StartNamedAsync("a");
        await using var b = await TestBackend.StartAsync(c =>
        {
            pathsAtB.Enqueue(c.Request.Path.Value ?? "");
            c.Response.StatusCode = c.Request.Path == "/health" ? Volatile.Read(ref healthStatus) : 200;
            return c.Response.WriteAsync("b");
        });
        var checkedConfig = TestBalancer.SingleFarm([a.Address, b.Address], f => f with
        {
            Health = new HealthCheckOptions { Path = "/health", Interval = TimeSpan.FromMilliseconds(200), Timeout = TimeSpan.FromSeconds(1), Rise = 2, Fall = 1 },
        });
        var directory = TestBalancer.NewDirectory();
        try
        {
            await using (var first = await TestBalancer.StartAsync(checkedConfig, directory))
            {
                await Eventually.True(() => !first.Runtime.GetServer("web", "web2").Healthy, TimeSpan.FromSeconds(10), "web2 unhealthy");
            }

            Assert.Contains("\"healthy\": false", await File.ReadAllTextAsync(Path.Combine(directory, "state", "servers.json")), StringComparison.Ordinal);

            // Back up, but a restarted balancer does not send it a request before its own checks have passed Rise times.
            Volatile.Write(ref healthStatus, 200);
            pathsAtB.Clear();
            await using (var second = await TestBalancer.StartAsync(checkedConfig, directory))
            {
                Assert.Contains(second.Runtime.Events.Since(0), e => e.Kind == EventKind.Failed && e.Server == "web2" && e.Message.Contains("when the balancer last stopped", StringComparison.Ordinal));
                await Eventually.True(() => second.Runtime.GetServer("web", "web2").Healthy, TimeSpan.FromSeconds(10), "web2 rejoined after its checks passed");
                Assert.Contains(second.Runtime.Events.Since(0), e => e.Kind == EventKind.Rejoined && e.Server == "web2");
                var bodies = new HashSet<string>();
                for (var i = 0; i < 4; i++)
                {
                    bodies.Add(await second.Client.GetStringAsync("/"));
                }

                Assert.Equal(["a", "b"], bodies.Order());
                var beforeFirstRequest = pathsAtB.TakeWhile(p => p != "/").ToList();
                Assert.True(beforeFirstRequest.Count >= 2 && beforeFirstRequest.All(p => p == "/health"), $"web2 was asked for {string.Join(", ", pathsAtB)}");
            }

            // The healthy verdict was saved in turn; and a farm without an active check never restores an unhealthy
            // one (nothing would bring the server back).
            Assert.DoesNotContain("\"healthy\": false", await File.ReadAllTextAsync(Path.Combine(directory, "state", "servers.json")), StringComparison.Ordinal);
            Volatile.Write(ref healthStatus, 503);
            await using (var third = await TestBalancer.StartAsync(checkedConfig, directory))
            {
                await Eventually.True(() => !third.Runtime.GetServer("web", "web2").Healthy, TimeSpan.FromSeconds(10), "web2 unhealthy again");
            }

            await using (var withoutChecks = await TestBalancer.StartAsync(TestBalancer.SingleFarm([a.Address, b.Address]), directory))
            {
                Assert.True(withoutChecks.Runtime.GetServer("web", "web2").Healthy);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Servers_added_at_runtime_survive_reloads_and_restarts_until_removed()
    {
        await using var a = await TestBackend.StartNamedAsync("a");
        await using var b = await TestBackend.StartNamedAsync("b");
        var directory = TestBalancer.NewDirectory();
        try
        {
            var config = TestBalancer.SingleFarm(a);
            await using (var first = await TestBalancer.StartAsync(config, directory))
            {
                first.Runtime.AddServer("web", new ServerOptions { Name = "added", Address = b.Address, Weight = 2 });
                first.Runtime.SetState("web", "web1", ServerState.Offline);
                Assert.Equal("b", await first.Client.GetStringAsync("/"));

                // A reload of the same file keeps the API-added server.
                first.Runtime.Apply(first.Runtime.Config);
                Assert.Equal(2, first.Runtime.Farms["web"].Servers.Count);
            }

            await using (var second = await TestBalancer.StartAsync(config, directory))
            {
                var added = second.Runtime.Farms["web"].FindServer("added");
                Assert.NotNull(added);
                Assert.Equal(2, added.Weight);
                Assert.Equal("b", await second.Client.GetStringAsync("/"));
                second.Runtime.RemoveServer("web", "added");
            }

            await using (var third = await TestBalancer.StartAsync(config, directory))
            {
                Assert.Null(third.Runtime.Farms["web"].FindServer("added"));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Unknown_farm_or_server_raise_specific_exceptions()
    {
        await using var a = await TestBackend.StartNamedAsync("a");
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(a));

        Assert.Throws<FarmNotFoundException>(() => balancer.Runtime.SetState("nope", "web1", ServerState.Offline));
        Assert.Throws<ServerNotFoundException>(() => balancer.Runtime.SetWeight("web", "nope", 2));
        Assert.Throws<ServerConflictException>(() => balancer.Runtime.AddServer("web", new ServerOptions { Name = "web1", Address = a.Address }));
        Assert.Throws<ArgumentException>(() => balancer.Runtime.AddServer("web", new ServerOptions { Name = "x", Address = "ftp://nope" }));
        Assert.Throws<ArgumentOutOfRangeException>(() => balancer.Runtime.SetWeight("web", "web1", -1));
    }
}
