using System.Net;
using WebFarm.AspNetCore.Tests.Infrastructure;

namespace WebFarm.AspNetCore.Tests.Hosting;

/// <summary>X-Forwarded-* is honoured only from the configured balancer addresses.</summary>
public sealed class ForwardedHeadersTests : IAsyncLifetime
{
    private RedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    private async Task<string> WhoAmIAsync(string? trustedProxies)
    {
        var settings = new Dictionary<string, string?> { ["WebFarm:StateEndpoints:0"] = _redis.EndPoint };
        if (trustedProxies is not null)
        {
            settings["WebFarm:TrustedProxies:0"] = trustedProxies;
        }

        await using var app = await FarmApp.StartAsync(settings);
        using var client = FarmApp.CreateClient(new CookieContainer());
        using var request = new HttpRequestMessage(HttpMethod.Get, app.Url("whoami"));
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "shop.example");
        using var response = await client.SendAsync(request);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task Headers_from_a_trusted_balancer_network_are_applied()
    {
        Assert.Equal("203.0.113.7 https shop.example", await WhoAmIAsync("127.0.0.0/8"));
    }

    [Fact]
    public async Task Headers_from_an_untrusted_peer_are_ignored()
    {
        string answer = await WhoAmIAsync("10.1.2.3");
        Assert.StartsWith("127.0.0.1 http 127.0.0.1:", answer);
    }

    [Fact]
    public async Task Bad_trusted_proxy_entry_is_rejected_at_startup_with_the_setting_named()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => WhoAmIAsync("10.0.0.0/99"));
        Assert.Contains("WebFarm:TrustedProxies[0]", error.Message);
        Assert.Contains("10.0.0.0/99", error.Message);
    }
}
