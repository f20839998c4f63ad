using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using WebFarm.AspNetCore.Tests.Infrastructure;

namespace WebFarm.AspNetCore.Tests.Hosting;

/// <summary>On shutdown the app stops accepting connections but finishes the requests it is serving.</summary>
public sealed class GracefulDrainTests
{
    [Fact]
    public async Task Shutdown_stops_accepting_and_finishes_in_flight_requests()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var app = await FarmApp.StartAsync(new Dictionary<string, string?>
        {
            ["WebFarm:StateEndpoints:0"] = redis.EndPoint,
            ["WebFarm:ShutdownTimeout"] = "00:00:45",
        });
        Assert.Equal(TimeSpan.FromSeconds(45), app.App.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);

        using var client = FarmApp.CreateClient(new CookieContainer());
        var inFlight = client.GetAsync(app.Url("slow"));
        await app.SlowEntered.Task.WaitAsync(TimeSpan.FromSeconds(20));

        var stopping = app.App.StopAsync();
        int port = app.BaseAddress.Port;
        await Eventually.TrueAsync(async () => !await FreePort.IsAcceptingAsync(port), TimeSpan.FromSeconds(20), "the listener to close");
        Assert.False(stopping.IsCompleted, "the host stopped before the in-flight request finished");

        app.SlowRelease.SetResult();
        using var response = await inFlight.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("done", await response.Content.ReadAsStringAsync());
        await stopping.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task During_the_drain_delay_healthz_answers_503_and_requests_are_still_served()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var app = await FarmApp.StartAsync(new Dictionary<string, string?>
        {
            ["WebFarm:StateEndpoints:0"] = redis.EndPoint,
            ["WebFarm:ShutdownTimeout"] = "00:01:00",
            // Long, so that nothing below races with it; the test ends the pause itself.
            ["WebFarm:DrainDelay"] = "00:00:40",
        });

        // The balancer's health check: one kept-alive connection, polling.
        using var probe = FarmApp.CreateClient(new CookieContainer());
        using (var healthy = await probe.GetAsync(app.Url("healthz")))
        {
            Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
        }

        using var endPause = new CancellationTokenSource();
        var stopping = app.App.StopAsync(endPause.Token);

        using (var draining = await probe.GetAsync(app.Url("healthz")).WaitAsync(TimeSpan.FromSeconds(20)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, draining.StatusCode);
            using var json = JsonDocument.Parse(await draining.Content.ReadAsStringAsync());
            Assert.Equal("Unhealthy", json.RootElement.GetProperty("status").GetString());
            Assert.Equal("Unhealthy", json.RootElement.GetProperty("checks").GetProperty("drain").GetProperty("status").GetString());
            Assert.Equal("Healthy", json.RootElement.GetProperty("checks").GetProperty("store").GetProperty("status").GetString());
        }

        // The listener still accepts: requests the balancer sends before it notices are served, not refused.
        using (var fresh = FarmApp.CreateClient(new CookieContainer()))
        using (var served = await fresh.GetAsync(app.Url("whoami")).WaitAsync(TimeSpan.FromSeconds(20)))
        {
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }

        Assert.False(stopping.IsCompleted, "shutdown did not wait for the drain delay");

        // Ending the pause early (the host's shutdown timeout, or a forced stop) lets the shutdown finish.
        await endPause.CancelAsync();
        await stopping.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.False(await FreePort.IsAcceptingAsync(app.BaseAddress.Port), "the listener is still open after the shutdown");
    }
}
