using System.Net;
using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Routing;

/// <summary>Host (exact, wildcard), path prefix, header match; the most specific route wins; prefix stripping.</summary>
public sealed class RoutingTests : IAsyncLifetime
{
    private readonly Dictionary<string, TestBackend> _backends = [];
    private TestBalancer _balancer = null!;

    public async Task InitializeAsync()
    {
        foreach (var name in new[] { "default", "wild", "exact", "api", "apiv2", "exactapi" })
        {
            var n = name;
            _backends[name] = await TestBackend.StartAsync(async context => await context.Response.WriteAsync($"{n}:{context.Request.Path}{context.Request.QueryString}"));
        }

        FarmOptions Farm(string name) => new() { Servers = [new ServerOptions { Name = name, Address = _backends[name].Address }] };
        var config = new BalancerConfig
        {
            Farms = _backends.Keys.ToDictionary(k => k, Farm),
            Routes =
            [
                new RouteOptions { Farm = "default" },
                new RouteOptions { Host = "*.example.com", Farm = "wild" },
                new RouteOptions { Host = "www.example.com", Farm = "exact" },
                new RouteOptions { Path = "/api", Farm = "api", StripPrefix = true },
                new RouteOptions { Path = "/api", Headers = new Dictionary<string, string> { ["X-Version"] = "2" }, Farm = "apiv2" },
                new RouteOptions { Host = "www.example.com", Path = "/api/", Farm = "exactapi" },
            ],
        };
        _balancer = await TestBalancer.StartAsync(config);
    }

    public async Task DisposeAsync()
    {
        await _balancer.DisposeAsync();
        foreach (var backend in _backends.Values)
        {
            await backend.DisposeAsync();
        }
    }

    private async Task<string> Get(string host, string path, string? version = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = host;
        if (version is not null)
        {
            request.Headers.Add("X-Version", version);
        }

        using var response = await _balancer.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    [Theory]
    [InlineData("other.test", "/page", null, "default:/page")]
    [InlineData("shop.example.com", "/page", null, "wild:/page")]
    [InlineData("a.b.example.com", "/page", null, "wild:/page")]
    [InlineData("example.com", "/page", null, "default:/page")]
    [InlineData("www.example.com", "/page", null, "exact:/page")]
    [InlineData("WWW.Example.COM", "/page", null, "exact:/page")]
    [InlineData("other.test", "/api/orders?id=3", null, "api:/orders?id=3")]
    [InlineData("other.test", "/api", null, "api:/")]
    [InlineData("other.test", "/apix", null, "default:/apix")]
    [InlineData("other.test", "/API/Orders", null, "api:/Orders")]
    [InlineData("other.test", "/api/orders", "2", "apiv2:/api/orders")]
    [InlineData("other.test", "/api/orders", "3", "api:/orders")]
    [InlineData("www.example.com", "/api/x", null, "exactapi:/api/x")]
    public async Task Most_specific_route_wins(string host, string path, string? version, string expected)
        => Assert.Equal(expected, await Get(host, path, version));

    [Fact]
    public async Task Encoded_path_and_query_pass_through_unchanged()
    {
        Assert.Equal("default:/a%2Fb/c%20d?q=1%202&x=%26", await Get("other.test", "/a%2Fb/c%20d?q=1%202&x=%26"));
    }

    [Fact]
    public async Task No_matching_route_is_404_with_a_clear_body()
    {
        await using var backend = await TestBackend.StartNamedAsync("x");
        var config = new BalancerConfig
        {
            Farms = new Dictionary<string, FarmOptions> { ["web"] = new() { Servers = [new ServerOptions { Name = "x", Address = backend.Address }] } },
            Routes = [new RouteOptions { Host = "only.test", Farm = "web" }],
        };
        await using var balancer = await TestBalancer.StartAsync(config);

        using var response = await balancer.Client.GetAsync("/nothing");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("WebFarm: no route for host '127.0.0.1' and path '/nothing'", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, backend.Requests);
    }
}
