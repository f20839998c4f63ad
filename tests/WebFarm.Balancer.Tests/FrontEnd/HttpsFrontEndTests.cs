using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.FrontEnd;
using WebFarm.Balancer.Tests.Infrastructure;
using static WebFarm.Balancer.Tests.Infrastructure.RawHttp;

namespace WebFarm.Balancer.Tests.FrontEnd;

/// <summary>
/// The HTTP/1.1 front end on an https listener (after Kestrel's TLS middleware), with HSTS: TLS connections that
/// negotiate http/1.1 or no ALPN are served by it (its counters show it) with what Kestrel's path gives https requests
/// (X-Forwarded-Proto https, the listener's HSTS replacing the server's, on the balancer's own errors too, a Secure
/// affinity cookie), keep-alive and pipelined; h2 connections stay Kestrel's HTTP/2 stack; a request the front end does
/// not take is handed to Kestrel with the same https rules. One balancer for the class: each test reads the counters'
/// change over its own requests (xunit runs a class's tests one at a time).
/// </summary>
public sealed class HttpsFrontEndTests : IAsyncLifetime
{
    private const string Hsts = "max-age=86400; includeSubDomains";

    private readonly TempDirectory _folder = new();
    private TestBackend _backend = null!;
    private TestBalancer _balancer = null!;

    private FrontEndStatistics Counters => _balancer.Runtime.FrontEnd;

    public async Task InitializeAsync()
    {
        TestCertificates.WritePemPair(_folder.Path, "www", TestCertificates.Server("www", ["www.example.test"]));
        _backend = await TestBackend.StartAsync(async context =>
        {
            // A server's own HSTS is replaced by the listener's, on both paths.
            context.Response.Headers.StrictTransportSecurity = "max-age=5";
            context.Response.Headers["X-Seen-Proto"] = context.Request.Headers["X-Forwarded-Proto"].ToString();
            var body = await new StreamReader(context.Request.Body).ReadToEndAsync(context.RequestAborted);
            await context.Response.WriteAsync($"{context.Request.Method} {context.Request.Path} {body}", context.RequestAborted);
        });
        var config = TestBalancer.SingleFarm(_backend) with
        {
            Farms = new Dictionary<string, FarmOptions>
            {
                ["web"] = new FarmOptions { Servers = [new ServerOptions { Name = "web1", Address = _backend.Address }] },
                ["sticky"] = new FarmOptions
                {
                    Servers = [new ServerOptions { Name = "sticky1", Address = _backend.Address }],
                    Affinity = new AffinityOptions { Mode = AffinityMode.Cookie, Key = Convert.ToBase64String(new byte[32]) },
                },
                ["gone"] = new FarmOptions
                {
                    Servers = [new ServerOptions { Name = "gone1", Address = $"http://127.0.0.1:{FreePort.Next()}" }],
                    Retries = new RetryOptions { MaxAttempts = 1 },
                },
            },
            Routes = [new RouteOptions { Farm = "web" }, new RouteOptions { Path = "/sticky", Farm = "sticky" }, new RouteOptions { Path = "/gone", Farm = "gone" }],
        };
        _balancer = await TestBalancer.StartAsync(config, host: o => o with
        {
            ListenOverride = [new ListenEndpoint("https://127.0.0.1:0") { Certificates = _folder.Path, Hsts = new HstsOptions { MaxAge = TimeSpan.FromDays(1), IncludeSubDomains = true } }],
        });
    }

    public async Task DisposeAsync()
    {
        await _balancer.DisposeAsync();
        await _backend.DisposeAsync();
        _folder.Dispose();
    }

    /// <summary>One GET on a new TLS connection that negotiated http/1.1.</summary>
    private async Task<RawResponse> GetOverTlsAsync(string path)
    {
        using var tcp = new TcpClient();
        await using var tls = await ConnectTlsAsync(tcp, _balancer.Uri, "www.example.test", SslApplicationProtocol.Http11);
        await WriteAsync(tls, $"GET {path} HTTP/1.1\r\nHost: www.example.test\r\n\r\n");
        return await ReadResponseAsync(tls);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)] // no ALPN extension at all, as wrk sends: HTTP/1.1 as well
    public async Task A_tls_http11_request_is_served_by_the_front_end_with_https_forwarded_and_the_listeners_hsts(bool alpn)
    {
        var (requests, handOffs) = (Counters.Requests, Counters.HandOffs);
        using var tcp = new TcpClient();
        await using var tls = alpn
            ? await ConnectTlsAsync(tcp, _balancer.Uri, "www.example.test", SslApplicationProtocol.Http11)
            : await ConnectTlsAsync(tcp, _balancer.Uri, "www.example.test");
        Assert.Equal(alpn ? SslApplicationProtocol.Http11 : default, tls.NegotiatedApplicationProtocol);

        await WriteAsync(tls, "GET /page HTTP/1.1\r\nHost: www.example.test\r\n\r\n");
        var response = await ReadResponseAsync(tls);

        Assert.Equal(200, response.Status);
        Assert.Equal("GET /page ", response.Body);
        Assert.Equal(["https"], response.Values("X-Seen-Proto"));
        Assert.Equal([Hsts], response.Values("Strict-Transport-Security"));
        Assert.Equal(requests + 1, Counters.Requests);
        Assert.Equal(handOffs, Counters.HandOffs);
    }

    [Fact]
    public async Task Keep_alive_and_pipelined_requests_over_tls_are_answered_in_order_by_the_front_end()
    {
        var (requests, handOffs) = (Counters.Requests, Counters.HandOffs);
        using var tcp = new TcpClient();
        await using var tls = await ConnectTlsAsync(tcp, _balancer.Uri, "www.example.test", SslApplicationProtocol.Http11);
        for (var i = 0; i < 20; i++)
        {
            await WriteAsync(tls, $"GET /seq/{i} HTTP/1.1\r\nHost: www.example.test\r\n\r\n");
            Assert.Equal($"GET /seq/{i} ", (await ReadResponseAsync(tls)).Body);
        }

        // Three requests in one TLS record: answered in order on the same connection.
        await WriteAsync(tls, "GET /p/1 HTTP/1.1\r\nHost: www.example.test\r\n\r\nHEAD /p/2 HTTP/1.1\r\nHost: www.example.test\r\n\r\nGET /p/3 HTTP/1.1\r\nHost: www.example.test\r\n\r\n");
        Assert.Equal("GET /p/1 ", (await ReadResponseAsync(tls)).Body);
        Assert.Equal(200, (await ReadResponseAsync(tls, headRequest: true)).Status);
        Assert.Equal("GET /p/3 ", (await ReadResponseAsync(tls)).Body);

        Assert.Equal(requests + 23, Counters.Requests);
        Assert.Equal(handOffs, Counters.HandOffs);
    }

    [Fact]
    public async Task The_balancers_own_502_over_tls_carries_the_listeners_hsts()
    {
        var requests = Counters.Requests;
        var response = await GetOverTlsAsync("/gone");

        Assert.Equal(StatusCodes.Status502BadGateway, response.Status);
        Assert.Equal([Hsts], response.Values("Strict-Transport-Security"));
        Assert.Equal(requests + 1, Counters.Requests);
    }

    [Fact]
    public async Task The_affinity_cookie_set_over_tls_by_the_front_end_is_secure()
    {
        var requests = Counters.Requests;
        var response = await GetOverTlsAsync("/sticky");

        Assert.Equal(200, response.Status);
        var cookie = Assert.Single(response.Values("Set-Cookie"));
        Assert.Contains("; secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(requests + 1, Counters.Requests);
    }

    [Fact]
    public async Task A_request_the_front_end_does_not_take_is_handed_to_kestrel_with_the_same_https_rules()
    {
        var (requests, handOffs) = (Counters.Requests, Counters.HandOffs);
        using var tcp = new TcpClient();
        await using var tls = await ConnectTlsAsync(tcp, _balancer.Uri, "www.example.test", SslApplicationProtocol.Http11);

        // A GET first (the front end's), then a POST with a body on the same connection (Kestrel's from then on).
        await WriteAsync(tls, "GET /first HTTP/1.1\r\nHost: www.example.test\r\n\r\n");
        Assert.Equal("GET /first ", (await ReadResponseAsync(tls)).Body);
        await WriteAsync(tls, "POST /form HTTP/1.1\r\nHost: www.example.test\r\nContent-Length: 3\r\n\r\na=1");
        var response = await ReadResponseAsync(tls);

        Assert.Equal("POST /form a=1", response.Body);
        Assert.Equal(["https"], response.Values("X-Seen-Proto"));
        Assert.Equal([Hsts], response.Values("Strict-Transport-Security"));
        Assert.Equal(requests + 1, Counters.Requests);
        Assert.Equal(handOffs + 1, Counters.HandOffs);
    }

    [Fact]
    public async Task Http2_over_tls_stays_kestrels_with_https_forwarded_and_hsts()
    {
        var (requests, handOffs) = (Counters.Requests, Counters.HandOffs);
        using var client = new HttpsTestClient(_balancer.Uri.Port, HttpVersion.Version20);
        using var response = await client.Http.GetAsync(client.Url("www.example.test", "/h2"));
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("GET /h2 ", await response.Content.ReadAsStringAsync());
        Assert.Equal("https", Assert.Single(response.Headers.GetValues("X-Seen-Proto")));
        Assert.Equal(Hsts, Assert.Single(response.Headers.GetValues("Strict-Transport-Security")));

        var port = _balancer.Uri.Port;
        var curl = await ProcessRunner.RunAsync("curl", ["--http2", "-sk", "--resolve", $"www.example.test:{port}:127.0.0.1", "-o", "/dev/null", "-w", "%{http_version} %{response_code}", $"https://www.example.test:{port}/curl"]);
        Assert.Equal("2 200", curl);

        // Neither request entered the front end: an h2 connection goes straight to Kestrel's HTTP/2 stack.
        Assert.Equal(requests, Counters.Requests);
        Assert.Equal(handOffs, Counters.HandOffs);
    }
}
