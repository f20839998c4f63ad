using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Health;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Health;

public sealed class HealthMonitorTests
{
    private static readonly TimeSpan FastInterval = TimeSpan.FromMilliseconds(100);

    private static ServerRuntime Server(Uri uri, string name = "web1") => new("web", name, uri, 1, backup: false);

    [Fact]
    public async Task Health_endpoint_turning_500_while_pages_work_takes_the_server_out_and_back()
    {
        var sick = 0;
        await using var backend = await TestBackend.StartAsync(c =>
        {
            c.Response.StatusCode = c.Request.Path == "/healthz" && Volatile.Read(ref sick) == 1 ? 500 : 200;
            return c.Response.WriteAsync("page");
        });
        var server = Server(backend.Uri);
        var sink = new RecordingHealthSink();
        await using var monitor = new HealthMonitor("web", sink);
        monitor.Update([new HealthCheckTarget(server, new HealthCheckOptions { Path = "/healthz", Interval = FastInterval })]);
        await monitor.StartAsync();

        await Eventually.True(() => backend.Hits("/healthz") >= 3, because: "a few checks ran");
        Assert.True(server.Healthy);
        Assert.Empty(sink.Transitions);

        Volatile.Write(ref sick, 1);
        await Eventually.True(() => !server.Healthy, because: "the server left rotation");
        using (var client = new HttpClient())
        {
            // The pages still work: only the health check can see this failure.
            Assert.Equal("page", await client.GetStringAsync(new Uri(backend.Uri, "/index")));
        }

        var failed = Assert.Single(sink.Transitions);
        Assert.False(failed.Healthy);
        Assert.Contains("(GET /healthz: status 500 not in 200-399)", failed.Reason, StringComparison.Ordinal); // What was checked, and what it got.
        Assert.Equal(500, monitor.GetLastResult(server)!.StatusCode);

        Volatile.Write(ref sick, 0);
        await Eventually.True(() => server.Healthy, because: "the server rejoined");
        Assert.Equal(2, sink.Transitions.Count);
        Assert.True(sink.Transitions[1].Healthy);
    }

    [Fact]
    public async Task Fall_and_rise_need_consecutive_results()
    {
        // Alternating failures never reach Fall=2; then two failures in a row do (at probe 10);
        // then alternating passes never reach Rise=3; then three passes in a row do (probes 19-21).
        int[] script = [500, 200, 500, 200, 500, 200, 500, 200, 500, 500, 200, 500, 200, 200, 500, 200, 200, 500, 200, 200, 200];
        var probes = 0;
        await using var backend = await TestBackend.StartAsync(c =>
        {
            var index = Interlocked.Increment(ref probes) - 1;
            c.Response.StatusCode = script[Math.Min(index, script.Length - 1)];
            return Task.CompletedTask;
        });
        var server = Server(backend.Uri);
        var sink = new RecordingHealthSink(_ => Volatile.Read(ref probes));
        await using var monitor = new HealthMonitor("web", sink);
        monitor.Update([new HealthCheckTarget(server, new HealthCheckOptions { Path = "/", Interval = TimeSpan.FromMilliseconds(50), Rise = 3, Fall = 2 })]);
        await monitor.StartAsync();

        await Eventually.True(() => sink.Transitions.Count >= 2, TimeSpan.FromSeconds(30), "the server went down and came back");
        var transitions = sink.Transitions;
        Assert.False(transitions[0].Healthy);
        Assert.Equal(10, transitions[0].Captured);
        Assert.True(transitions[1].Healthy);
        Assert.Equal(21, transitions[1].Captured);
        Assert.Contains("3 time(s) in a row", transitions[1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_taken_out_by_someone_else_needs_rise_passing_checks_to_come_back()
    {
        await using var backend = await TestBackend.StartAsync(_ => Task.CompletedTask);
        var server = Server(backend.Uri);
        var sink = new RecordingHealthSink(_ => backend.Hits("/healthz"));
        await using var monitor = new HealthMonitor("web", sink);
        monitor.Update([new HealthCheckTarget(server, new HealthCheckOptions { Path = "/healthz", Interval = FastInterval, Rise = 3 })]);
        await monitor.StartAsync();
        await Eventually.True(() => backend.Hits("/healthz") >= 2, because: "checks ran");

        // Passive health (live traffic) takes it out while the checks keep passing.
        var before = backend.Hits("/healthz");
        server.Healthy = false;

        await Eventually.True(() => server.Healthy, because: "the active check brought it back");
        var back = Assert.Single(sink.Transitions);
        Assert.True(back.Healthy);
        // Rise=3 passes counted from the moment it was taken out; one probe already in flight then may be one of them.
        Assert.True(back.Captured - before >= 2, $"came back after {back.Captured - before} checks");
    }

    [Fact]
    public async Task Update_retargets_servers_and_settings_and_stop_ends_all_checks()
    {
        await using var a = await TestBackend.StartAsync(_ => Task.CompletedTask);
        await using var b = await TestBackend.StartAsync(_ => Task.CompletedTask);
        var serverA = Server(a.Uri, "a");
        var serverB = Server(b.Uri, "b");
        var sink = new RecordingHealthSink();
        await using var monitor = new HealthMonitor("web", sink);
        var options = new HealthCheckOptions { Path = "/one", Interval = FastInterval };
        monitor.Update([new HealthCheckTarget(serverA, options)]);
        await monitor.StartAsync();
        await Eventually.True(() => a.Hits("/one") >= 2, because: "a is checked");

        // Reload: a gets a new path, b joins.
        monitor.Update([new HealthCheckTarget(serverA, options with { Path = "/two" }), new HealthCheckTarget(serverB, options)]);
        await Eventually.True(() => a.Hits("/two") >= 2 && b.Hits("/one") >= 2, because: "a on its new path and b are checked");
        Assert.Equal([serverA, serverB], monitor.Servers.OrderBy(s => s.Name));

        // Reload: a leaves.
        monitor.Update([new HealthCheckTarget(serverB, options)]);
        await Eventually.True(() => monitor.Servers.Count == 1, because: "a was dropped");
        var aHits = a.Hits("/two");
        var bHits = b.Hits("/one");
        await Eventually.True(() => b.Hits("/one") >= bHits + 3, because: "b is still checked");
        Assert.InRange(a.Hits("/two"), aHits, aHits + 1); // at most one probe was already in flight

        await monitor.StopAsync();
        Assert.False(monitor.IsRunning);
        bHits = b.Hits("/one");
        await Task.Delay(FastInterval * 5); // a negative check: nothing may happen during several intervals
        Assert.Equal(bHits, b.Hits("/one"));
        Assert.Empty(sink.Transitions);
    }

    [Fact]
    public async Task A_server_taken_out_by_a_check_that_is_then_removed_from_the_config_comes_back()
    {
        await using var backend = await TestBackend.StartAsync(c =>
        {
            c.Response.StatusCode = 500;
            return Task.CompletedTask;
        });
        var server = Server(backend.Uri);
        var sink = new RecordingHealthSink();
        await using var monitor = new HealthMonitor("web", sink);
        monitor.Update([new HealthCheckTarget(server, new HealthCheckOptions { Path = "/healthz", Interval = FastInterval })]);
        await monitor.StartAsync();
        await Eventually.True(() => !server.Healthy, because: "the failing check took the server out");
        Assert.Equal(500, server.LastHealthCheck?.StatusCode);

        monitor.Update([]);
        Assert.True(server.Healthy);
        Assert.Null(server.LastHealthCheck);
        Assert.Contains("removed from the configuration", sink.Transitions[^1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_runs_one_probe_without_changing_health()
    {
        await using var backend = await TestBackend.StartAsync(c =>
        {
            c.Response.StatusCode = 503;
            return c.Response.WriteAsync("maintenance");
        });
        var server = Server(backend.Uri);
        var sink = new RecordingHealthSink();
        await using var monitor = new HealthMonitor("web", sink);
        monitor.Update([new HealthCheckTarget(server, new HealthCheckOptions { Path = "/status", Interval = TimeSpan.FromHours(1), Fall = 1 })]);

        var result = await monitor.VerifyAsync(server);
        Assert.False(result.Healthy);
        Assert.Equal(503, result.StatusCode);
        Assert.Equal("maintenance", result.BodyExcerpt);
        Assert.Equal(new Uri(backend.Uri, "/status"), result.Url);
        Assert.True(server.Healthy);
        Assert.Empty(sink.Transitions);

        // A server without a check of its own is verified with the fallback settings.
        var other = Server(backend.Uri, "web2");
        var fallback = await monitor.VerifyAsync(other, new HealthCheckOptions { Path = "/fallback" });
        Assert.Equal(new Uri(backend.Uri, "/fallback"), fallback.Url);
    }
}
