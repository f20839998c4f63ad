using System.Net.Sockets;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Health;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Health;

public sealed class PassiveHealthObserverTests
{
    private static ServerRuntime Server(string name = "web1") => new("web", name, new Uri("http://127.0.0.1:1/"), 1, backup: false);

    private static PassiveHealthOptions Options(int maxFailures = 3, string? failureStatus = "500,502-504", double windowSeconds = 10, double reactivationSeconds = 3600)
        => new()
        {
            FailureStatus = failureStatus is null ? null : StatusCodeSet.Parse(failureStatus),
            MaxFailures = maxFailures,
            Window = TimeSpan.FromSeconds(windowSeconds),
            ReactivationPeriod = TimeSpan.FromSeconds(reactivationSeconds),
        };

    [Fact]
    public void MaxFailures_within_the_window_take_the_server_out_once()
    {
        var clock = new ManualClock();
        var sink = new RecordingHealthSink();
        using var observer = new PassiveHealthObserver(Options(), sink, time: clock);
        var server = Server();

        observer.OnResponse(server, 500);
        observer.OnResponse(server, 200); // successes do not count
        observer.OnResponse(server, 404); // nor do statuses outside the list
        observer.OnTransportFailure(server, new HttpRequestException("boom", new SocketException((int)SocketError.ConnectionRefused)));
        Assert.True(server.Healthy);

        observer.OnResponse(server, 503);
        Assert.False(server.Healthy);
        var failed = Assert.Single(sink.Transitions);
        Assert.False(failed.Healthy);
        Assert.Contains("3 failure(s)", failed.Reason, StringComparison.Ordinal);
        Assert.Contains("status 503", failed.Reason, StringComparison.Ordinal);

        // Further failures (e.g. in panic mode) do not report again.
        observer.OnResponse(server, 500);
        observer.OnTransportFailure(server, null);
        Assert.Single(sink.Transitions);
    }

    [Fact]
    public void Failures_spread_wider_than_the_window_do_not_count_together()
    {
        var clock = new ManualClock();
        var sink = new RecordingHealthSink();
        using var observer = new PassiveHealthObserver(Options(windowSeconds: 10), sink, time: clock);
        var server = Server();

        for (var i = 0; i < 10; i++)
        {
            observer.OnResponse(server, 502);
            clock.Advance(TimeSpan.FromSeconds(6)); // three failures always span 12 s > 10 s
        }

        Assert.True(server.Healthy);
        Assert.Empty(sink.Transitions);

        observer.OnResponse(server, 502);
        clock.Advance(TimeSpan.FromSeconds(4));
        observer.OnResponse(server, 502); // 502 at t, t+4, t+8: three within 10 s
        Assert.False(server.Healthy);
    }

    [Fact]
    public void Without_a_failure_status_list_only_transport_failures_count()
    {
        var sink = new RecordingHealthSink();
        using var observer = new PassiveHealthObserver(Options(maxFailures: 2, failureStatus: null), sink);
        var server = Server();

        for (var i = 0; i < 20; i++)
        {
            observer.OnResponse(server, 500);
        }

        Assert.True(server.Healthy);
        observer.OnTransportFailure(server, new HttpRequestException("reset", new SocketException((int)SocketError.ConnectionReset)));
        observer.OnTransportFailure(server, new HttpRequestException("reset", new SocketException((int)SocketError.ConnectionReset)));
        Assert.False(server.Healthy);
        Assert.Contains("connection reset", Assert.Single(sink.Transitions).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Servers_are_counted_separately()
    {
        var sink = new RecordingHealthSink();
        using var observer = new PassiveHealthObserver(Options(maxFailures: 2), sink);
        var a = Server("a");
        var b = Server("b");

        observer.OnResponse(a, 500);
        observer.OnResponse(b, 500);
        Assert.True(a.Healthy);
        Assert.True(b.Healthy);
        observer.OnResponse(a, 500);
        Assert.False(a.Healthy);
        Assert.True(b.Healthy);
    }

    [Fact]
    public async Task Without_an_active_check_the_server_comes_back_after_the_reactivation_period()
    {
        var sink = new RecordingHealthSink();
        using var observer = new PassiveHealthObserver(Options(maxFailures: 1, reactivationSeconds: 0.3), sink);
        var server = Server();

        observer.OnTransportFailure(server, null);
        Assert.False(server.Healthy);
        await Eventually.True(() => server.Healthy, because: "the server was reactivated");
        Assert.Equal(2, sink.Transitions.Count);
        Assert.Contains("reactivated after 300ms", sink.Transitions[1].Reason, StringComparison.Ordinal);

        // It starts from a clean slate and can be taken out (and brought back) again.
        observer.OnTransportFailure(server, null);
        Assert.False(server.Healthy);
        await Eventually.True(() => server.Healthy, because: "the server was reactivated again");
    }

    [Fact]
    public async Task A_reload_that_disposes_the_observer_does_not_strand_a_server()
    {
        var sink = new RecordingHealthSink();
        var observer = new PassiveHealthObserver(Options(maxFailures: 1, reactivationSeconds: 0.3), sink);
        var server = Server();
        observer.OnTransportFailure(server, null);
        observer.Dispose();

        await Eventually.True(() => server.Healthy, because: "the server was reactivated after dispose");
    }

    [Fact]
    public async Task With_an_active_check_passive_health_leaves_reactivation_to_it()
    {
        var sick = 1;
        await using var backend = await TestBackend.StartAsync(c =>
        {
            // Pages fail while sick; the health endpoint always passes.
            c.Response.StatusCode = c.Request.Path == "/healthz" || Volatile.Read(ref sick) == 0 ? 200 : 500;
            return Task.CompletedTask;
        });
        var server = new ServerRuntime("web", "web1", backend.Uri, 1, backup: false);
        var sink = new RecordingHealthSink();
        using var observer = new PassiveHealthObserver(Options(maxFailures: 2, reactivationSeconds: 0.1), sink, hasActiveCheck: _ => true);
        await using var monitor = new HealthMonitor("web", sink);
        monitor.Update([new HealthCheckTarget(server, new HealthCheckOptions { Path = "/healthz", Interval = TimeSpan.FromMilliseconds(400), Rise = 2 })]);

        // Live traffic sees two 500s: out. Feed the observer real responses from the backend.
        using var client = new HttpClient();
        for (var i = 0; i < 2; i++)
        {
            using var response = await client.GetAsync(new Uri(backend.Uri, "/page"));
            observer.OnResponse(server, (int)response.StatusCode);
        }

        Assert.False(server.Healthy);
        // The passive reactivation period (100 ms) is not used: only the (not yet started) active check may bring it back.
        await Task.Delay(TimeSpan.FromMilliseconds(600));
        Assert.False(server.Healthy);

        await monitor.StartAsync();
        await Eventually.True(() => server.Healthy, because: "the active check brought the server back");
        Assert.Contains("health check passed 2 time(s)", sink.Transitions[^1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_failures_report_the_transition_exactly_once()
    {
        var sink = new RecordingHealthSink();
        using var observer = new PassiveHealthObserver(Options(maxFailures: 5), sink);
        var server = Server();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                observer.OnResponse(server, 502);
            }
        })));

        Assert.False(server.Healthy);
        Assert.Single(sink.Transitions);
    }
}
