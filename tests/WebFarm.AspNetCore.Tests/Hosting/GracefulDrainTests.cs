using System.Net;
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
}
