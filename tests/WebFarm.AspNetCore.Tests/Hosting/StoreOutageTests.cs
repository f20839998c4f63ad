using System.Net;
using System.Text.Json;
using WebFarm.AspNetCore.Tests.Infrastructure;

namespace WebFarm.AspNetCore.Tests.Hosting;

/// <summary>A store outage is never silent: health turns 503 naming the store, and the error counter counts.</summary>
public sealed class StoreOutageTests
{
    [Fact]
    public async Task Resp_store_outage_degrades_health_and_counts_errors_then_recovers()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var app = await FarmApp.StartAsync(new Dictionary<string, string?>
        {
            ["WebFarm:StateEndpoints:0"] = redis.EndPoint,
            ["WebFarm:StoreTimeout"] = "00:00:02",
            ["WebFarm:ServerName"] = "web-7",
        });
        using var errors = new StoreErrorListener(app.App.Services);
        using var client = FarmApp.CreateClient(new CookieContainer());
        var healthy = await client.GetAsync(app.Url("healthz"));
        Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
        Assert.Equal(0, errors.Total);

        await redis.KillAsync();
        var down = await Eventually.ReturnsAsync(() => client.GetAsync(app.Url("healthz")),
            r => r.StatusCode == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(20), "health to report 503");
        using (var json = JsonDocument.Parse(await down.Content.ReadAsStringAsync()))
        {
            var root = json.RootElement;
            Assert.Equal("Unhealthy", root.GetProperty("status").GetString());
            Assert.Equal("web-7", root.GetProperty("server").GetString());
            var store = root.GetProperty("checks").GetProperty("store");
            Assert.Equal("Unhealthy", store.GetProperty("status").GetString());
            Assert.Equal("resp", store.GetProperty("store").GetString());
            Assert.Equal(redis.EndPoint, store.GetProperty("target").GetString());
            Assert.Contains("unreachable", store.GetProperty("description").GetString());
        }

        Assert.True(errors.Total >= 1, "webfarm.store.errors did not increment");
        Assert.Equal("resp", errors.LastStoreTag);

        // A session write during the outage is counted too (plain ASP.NET Core would drop it silently).
        long before = errors.Total;
        await client.GetAsync(app.Url("session/set?value=lost"));
        Assert.True(errors.Total > before, "a failed session write did not increment webfarm.store.errors");

        await redis.RestartAsync();
        await Eventually.ReturnsAsync(() => client.GetAsync(app.Url("healthz")),
            r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(20), "health to recover");
    }

    /// <summary>
    /// ASP.NET Core's session ignores a change to a session it could not load, and its commit then only refreshes the
    /// expiry: when the store is back by then, the page reports success for a write that was never made (the lost
    /// write ClusterFailoverTests saw during a failover). The member library refuses the change instead.
    /// </summary>
    [Fact]
    public async Task A_session_change_made_while_the_store_is_down_fails_instead_of_being_reported_and_dropped()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var app = await FarmApp.StartAsync(new Dictionary<string, string?>
        {
            ["WebFarm:StateEndpoints:0"] = redis.EndPoint,
            ["WebFarm:StoreTimeout"] = "00:00:02",
        });
        using var client = FarmApp.CreateClient(new CookieContainer());
        Assert.Equal("stored", await client.GetStringAsync(app.Url("session/set?value=first")));

        // The session is loaded (and fails to load) when the change is made; the commit comes after the store is back.
        await redis.KillAsync();
        var write = client.GetAsync(app.Url("session/set-then-wait?value=second"));
        if (await Task.WhenAny(write, app.SlowEntered.Task) == app.SlowEntered.Task)
        {
            await redis.RestartAsync();
            await Eventually.ReturnsAsync(() => client.GetAsync(app.Url("healthz")),
                r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(20), "the store to be reachable again");
            app.SlowRelease.TrySetResult();
        }

        using var response = await write;
        string body = await response.Content.ReadAsStringAsync();
        Assert.NotEqual("stored", body);
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
    }

    [Fact]
    public async Task Postgres_store_outage_degrades_health_and_counts_errors()
    {
        int closedPort = FreePort.Next();
        await using var app = await FarmApp.StartAsync(new Dictionary<string, string?>
        {
            ["WebFarm:Store"] = "Postgres",
            ["WebFarm:PostgresConnectionString"] = $"Host=127.0.0.1;Port={closedPort};Username=postgres;Password=unused;Database=postgres",
            ["WebFarm:StoreTimeout"] = "00:00:03",
        });
        using var errors = new StoreErrorListener(app.App.Services);
        using var client = FarmApp.CreateClient(new CookieContainer());
        var response = await client.GetAsync(app.Url("healthz"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        string body = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"store\":\"postgres\"", body);
        Assert.Contains($"127.0.0.1:{closedPort}", body);
        Assert.DoesNotContain("unused", body); // never leak the password
        Assert.True(errors.Total >= 1);
        Assert.Equal("postgres", errors.LastStoreTag);
    }
}
