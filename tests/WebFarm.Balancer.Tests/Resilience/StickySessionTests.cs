using System.Net;
using Microsoft.Net.Http.Headers;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Events;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Resilience;

/// <summary>Cookie affinity end to end: real backend processes, a real balancer, a client that keeps its cookie.</summary>
public sealed class StickySessionTests
{
    private const string Cookie = "WebFarmAffinity";

    private static BalancerConfig Config(BackendProcess[] backends, AffinityFailurePolicy onUnavailable = AffinityFailurePolicy.Redistribute, double checkIntervalSeconds = 0.3)
        => TestBalancer.SingleFarm(backends.Select(b => b.Address), f => f with
        {
            Affinity = new AffinityOptions { Mode = AffinityMode.Cookie, OnUnavailable = onUnavailable },
            Health = new HealthCheckOptions { Path = "/health", Interval = TimeSpan.FromSeconds(checkIntervalSeconds), Timeout = TimeSpan.FromSeconds(1) },
            Timeouts = f.Timeouts with { Connect = TimeSpan.FromSeconds(2) },
        });

    /// <summary>One GET with an optional affinity cookie: (status, backend, reissued cookie value or null).</summary>
    private static async Task<(HttpStatusCode Status, string? Backend, string? Issued)> Get(TestBalancer balancer, string? cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/page");
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", $"{Cookie}={cookie}");
        }

        using var response = await balancer.Client.SendAsync(request);
        var backend = response.Headers.TryGetValues("X-Backend", out var b) ? b.First() : null;
        string? issued = null;
        if (response.Headers.TryGetValues("Set-Cookie", out var setCookies))
        {
            foreach (var header in setCookies)
            {
                var parsed = SetCookieHeaderValue.Parse(header);
                if (parsed.Name == Cookie)
                {
                    Assert.True(parsed.HttpOnly);
                    Assert.Equal(Microsoft.Net.Http.Headers.SameSiteMode.Lax, parsed.SameSite);
                    issued = parsed.Value.ToString();
                }
            }
        }

        return (response.StatusCode, backend, issued);
    }

    [Fact]
    public Task A_client_sticks_to_its_server_and_a_tampered_cookie_is_ignored() => BackendProcess.WithManyAsync(3, async backends =>
    {
        await using var balancer = await TestBalancer.StartAsync(Config(backends));
        var first = await Get(balancer, null);
        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.NotNull(first.Issued);
        var home = first.Backend;

        for (var i = 0; i < 20; i++)
        {
            var next = await Get(balancer, first.Issued);
            Assert.Equal(home, next.Backend);
            Assert.Null(next.Issued); // the cookie is only sent when the binding changes
        }

        // Tampering with the MAC (or pointing the name at another server) is ignored: the client is balanced as new
        // and gets a genuine cookie again; over a few such requests round robin shows it is not honoured.
        var dot = first.Issued!.LastIndexOf('.');
        var tampered = first.Issued[..(dot + 1)] + (first.Issued[dot + 1] == 'A' ? 'B' : 'A') + first.Issued[(dot + 2)..];
        var seen = new HashSet<string?>();
        for (var i = 0; i < 6; i++)
        {
            var result = await Get(balancer, tampered);
            Assert.Equal(HttpStatusCode.OK, result.Status);
            Assert.NotNull(result.Issued);
            Assert.NotEqual(tampered, result.Issued);
            seen.Add(result.Backend);
        }

        Assert.True(seen.Count > 1, "a tampered cookie pinned the client to one server");
    });

    [Fact]
    public Task In_panic_a_client_bound_to_an_unhealthy_server_stays_there_without_redistribution_events() => BackendProcess.WithManyAsync(3, async backends =>
    {
        var config = Config(backends, checkIntervalSeconds: 0.2);
        config = config with { Farms = new Dictionary<string, FarmOptions> { ["web"] = config.Farms["web"] with { MinimumHealthyServers = 3 } } };
        await using var balancer = await TestBalancer.StartAsync(config);
        var first = await Get(balancer, null);
        Assert.NotNull(first.Issued);
        var home = backends.Single(b => b.Name == first.Backend);

        // Its /health fails while its pages work: below the minimum of 3 healthy servers, so the farm panics.
        await home.SetHealthStatusAsync(500);
        await Eventually.True(() => !balancer.Runtime.GetServer("web", home.Name).Healthy, TimeSpan.FromSeconds(10), "the bound server left rotation");
        for (var i = 0; i < 5; i++)
        {
            var again = await Get(balancer, first.Issued);
            Assert.Equal(HttpStatusCode.OK, again.Status);
            Assert.Equal(home.Name, again.Backend);
        }

        Assert.True(balancer.Runtime.GetFarm("web").InPanic);
        Assert.DoesNotContain(balancer.Runtime.Events.Since(0), e => e.Kind == EventKind.AffinityRedistributed);
    });

    [Fact]
    public Task A_client_whose_server_dies_is_redistributed_with_a_new_cookie_and_an_event() => BackendProcess.WithManyAsync(3, async backends =>
    {
        // The active check is too rare to notice the kill during the test (it needs Fall = 2 failures 10 minutes
        // apart), so the first request after the kill meets a server that still looks healthy, however slow the
        // machine; passive health (one failure) is what takes the server out, on that very request.
        var config = Config(backends, checkIntervalSeconds: 600);
        config = config with
        {
            Farms = new Dictionary<string, FarmOptions>
            {
                ["web"] = config.Farms["web"] with { PassiveHealth = new PassiveHealthOptions { MaxFailures = 1, Window = TimeSpan.FromMinutes(1), ReactivationPeriod = TimeSpan.FromMinutes(10) } },
            },
        };
        await using var balancer = await TestBalancer.StartAsync(config);
        var first = await Get(balancer, null);
        var home = backends.Single(b => b.Name == first.Backend);
        home.Kill();

        // Right after the kill the server still looks healthy: the request is retried elsewhere and rebound.
        Assert.True(balancer.Runtime.GetServer("web", home.Name).Healthy);
        var retried = await Get(balancer, first.Issued);
        Assert.Equal(HttpStatusCode.OK, retried.Status);
        Assert.NotEqual(home.Name, retried.Backend);
        Assert.NotNull(retried.Issued);

        // Once it is known to be down, a client still holding the old cookie is redistributed, with an event.
        await Eventually.True(() => !balancer.Runtime.GetServer("web", home.Name).Healthy, TimeSpan.FromSeconds(10), "the dead server left rotation");
        var moved = await Get(balancer, first.Issued);
        Assert.Equal(HttpStatusCode.OK, moved.Status);
        Assert.NotEqual(home.Name, moved.Backend);
        Assert.NotNull(moved.Issued);
        var redistributed = Assert.Single(balancer.Runtime.Events.Since(0), e => e.Kind == EventKind.AffinityRedistributed);
        Assert.Contains($"bound to {home.Name}", redistributed.Message, StringComparison.Ordinal);
        Assert.Equal(moved.Backend, redistributed.Server);

        // And the new cookie sticks.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(moved.Backend, (await Get(balancer, moved.Issued)).Backend);
        }
    });

    [Fact]
    public Task A_draining_server_keeps_its_bound_clients_and_takes_no_new_ones_and_offline_serves_nobody() => BackendProcess.WithManyAsync(2, async backends =>
    {
        await using var balancer = await TestBalancer.StartAsync(Config(backends));
        var bound = await Get(balancer, null);
        var home = bound.Backend!;

        using (var drain = await balancer.Admin.PostAsync($"/api/farms/web/servers/{home}/drain", null))
        {
            Assert.True(drain.IsSuccessStatusCode, await drain.Content.ReadAsStringAsync());
        }

        Assert.Equal(ServerState.Draining, balancer.Runtime.GetServer("web", home).State);
        for (var i = 0; i < 10; i++)
        {
            var again = await Get(balancer, bound.Issued);
            Assert.Equal(home, again.Backend);
            var stranger = await Get(balancer, null);
            Assert.NotEqual(home, stranger.Backend);
        }

        balancer.Runtime.SetState("web", home, ServerState.Offline);
        var after = await Get(balancer, bound.Issued);
        Assert.Equal(HttpStatusCode.OK, after.Status);
        Assert.NotEqual(home, after.Backend);
        Assert.NotNull(after.Issued);
    });

    [Fact]
    public Task Offline_with_drain_keeps_bound_clients_until_the_drain_timeout_then_goes_offline_by_itself() => BackendProcess.WithManyAsync(2, async backends =>
    {
        var drainTimeout = TimeSpan.FromSeconds(4);
        var config = Config(backends);
        var farm = config.Farms["web"];
        config = config with
        {
            Farms = new Dictionary<string, FarmOptions> { ["web"] = farm with { Affinity = farm.Affinity with { DrainTimeout = drainTimeout } } },
        };
        await using var balancer = await TestBalancer.StartAsync(config);
        var bound = await Get(balancer, null);
        var home = bound.Backend!;
        var server = balancer.Runtime.GetServer("web", home);

        using (var offline = await balancer.Admin.PostAsync($"/api/farms/web/servers/{home}/offline?drain=true", null))
        {
            Assert.True(offline.IsSuccessStatusCode, await offline.Content.ReadAsStringAsync());
        }

        // Nothing is in flight, yet the bound client is still served: with affinity, draining lasts the drain timeout.
        // Each observation is judged by when it was complete (the balancer's clock): one that ended inside the drain
        // timeout must show the server Draining and serving its bound client; later ones may show either. A slow
        // machine thins out the observations inside the timeout; it cannot make a correct balancer fail.
        var drainStarted = server.DrainingSince!.Value;
        var insideTheTimeout = 0;
        for (var i = 0; i < 400 && server.State != ServerState.Offline; i++)
        {
            var state = server.State;
            var again = await Get(balancer, bound.Issued);
            if (DateTimeOffset.UtcNow - drainStarted < drainTimeout)
            {
                Assert.Equal(ServerState.Draining, state);
                Assert.Equal(HttpStatusCode.OK, again.Status);
                Assert.Equal(home, again.Backend);
                insideTheTimeout++;
            }

            await Task.Delay(50);
        }

        Assert.True(insideTheTimeout > 0, "no request was answered inside the drain timeout");
        await Eventually.True(() => server.State == ServerState.Offline, TimeSpan.FromSeconds(10), "the server went offline by itself");
        // The state is set before its event is published: await the event too.
        await Eventually.True(() => balancer.Runtime.Events.Since(0).Any(e => e.Kind == EventKind.Offline && e.Server == home), TimeSpan.FromSeconds(10), "the offline event was published");
        var wentOffline = Assert.Single(balancer.Runtime.Events.Since(0), e => e.Kind == EventKind.Offline && e.Server == home);

        // Not before the drain timeout (less the timer's millisecond granularity).
        Assert.True(wentOffline.Time - drainStarted >= drainTimeout - TimeSpan.FromMilliseconds(20), $"offline {(wentOffline.Time - drainStarted).TotalMilliseconds:F0} ms after draining began");
        var moved = await Get(balancer, bound.Issued);
        Assert.NotEqual(home, moved.Backend);
    });

    [Fact]
    public Task With_OnUnavailable_Fail_a_client_whose_server_is_offline_gets_503() => BackendProcess.WithManyAsync(2, async backends =>
    {
        await using var balancer = await TestBalancer.StartAsync(Config(backends, AffinityFailurePolicy.Fail));
        var bound = await Get(balancer, null);
        balancer.Runtime.SetState("web", bound.Backend!, ServerState.Offline);

        var rejected = await Get(balancer, bound.Issued);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, rejected.Status);

        // A client without a binding is still served.
        Assert.Equal(HttpStatusCode.OK, (await Get(balancer, null)).Status);
    });
}
