using System.Net;
using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Tls;

/// <summary>
/// An http listener that redirects to https (301 for GET/HEAD, 308 otherwise, same host and target) and an https
/// listener with HSTS on every response, its own errors included, and never on http.
/// </summary>
public sealed class HttpsRedirectAndHstsTests : IAsyncLifetime
{
    private readonly TempDirectory _folder = new();
    private TestBackend _backend = null!;
    private TestBalancer _balancer = null!;
    private int _httpsPort;
    private int _redirectPort;
    private int _redirectTo443Port;

    public async Task InitializeAsync()
    {
        TestCertificates.WritePemPair(_folder.Path, "www", TestCertificates.Server("www", ["www.example.test"]));
        _backend = await TestBackend.StartAsync(context =>
        {
            // A server's own HSTS is replaced by the listener's policy.
            context.Response.Headers.StrictTransportSecurity = "max-age=5";
            return context.Response.WriteAsync("from the server");
        });
        var ports = FreePort.Many(3);
        (_httpsPort, _redirectPort, _redirectTo443Port) = (ports[0], ports[1], ports[2]);
        var config = TestBalancer.SingleFarm(_backend) with { Routes = [new RouteOptions { Host = "www.example.test", Farm = "web" }] };
        _balancer = await TestBalancer.StartAsync(config, host: o => o with
        {
            ListenOverride =
            [
                new ListenEndpoint($"http://127.0.0.1:{_redirectPort}") { RedirectToHttps = true },
                new ListenEndpoint($"https://127.0.0.1:{_httpsPort}") { Certificates = _folder.Path, Hsts = new HstsOptions { MaxAge = TimeSpan.FromDays(1), IncludeSubDomains = true } },
                new ListenEndpoint($"http://127.0.0.1:{_redirectTo443Port}") { RedirectToHttps = true, HttpsPort = 443 },
            ],
        });
    }

    public async Task DisposeAsync()
    {
        await _balancer.DisposeAsync();
        await _backend.DisposeAsync();
        _folder.Dispose();
    }

    [Theory]
    [InlineData("GET", "/shop/cart?item=1&x=%20y", 301)]
    [InlineData("HEAD", "/", 301)]
    [InlineData("POST", "/form", 308)]
    [InlineData("DELETE", "/items/7", 308)]
    public async Task Http_is_redirected_to_the_same_host_and_target_on_https(string method, string target, int status)
    {
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        using var request = new HttpRequestMessage(new HttpMethod(method), $"http://127.0.0.1:{_redirectPort}{target}");
        request.Headers.Host = $"www.example.test:{_redirectPort}";
        if (method == "POST")
        {
            request.Content = new StringContent("a=1");
        }

        using var response = await http.SendAsync(request);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal($"https://www.example.test:{_httpsPort}{target}", response.Headers.Location!.OriginalString);
        Assert.False(response.Headers.Contains("Strict-Transport-Security"), "HSTS is for https responses only (RFC 6797 7.2)");
        Assert.Equal(0, _backend.Requests);
    }

    [Fact]
    public async Task A_redirect_to_port_443_names_no_port()
    {
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{_redirectTo443Port}/a?b=c");
        request.Headers.Host = "www.example.test";
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
        Assert.Equal("https://www.example.test/a?b=c", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Every_https_response_carries_the_listeners_hsts_the_balancers_own_errors_too()
    {
        using var client = new HttpsTestClient(_httpsPort);
        using var proxied = await client.Http.GetAsync(client.Url("www.example.test", "/page"));
        Assert.Equal("from the server", await proxied.Content.ReadAsStringAsync());
        Assert.Equal("max-age=86400; includeSubDomains", Assert.Single(proxied.Headers.GetValues("Strict-Transport-Security")));

        // No route for this host: the balancer's 404.
        using var noRoute = await client.Http.GetAsync(client.Url("other.example.test", "/"));
        Assert.Equal(HttpStatusCode.NotFound, noRoute.StatusCode);
        Assert.Equal("max-age=86400; includeSubDomains", Assert.Single(noRoute.Headers.GetValues("Strict-Transport-Security")));
    }
}
