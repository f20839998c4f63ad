using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Forwarding;

/// <summary>Hop-by-hop removal, forwarded headers (trusted and untrusted), Host, request ids, header injection.</summary>
public sealed class HeaderForwardingTests
{
    /// <summary>A backend that answers with the request headers it received, as JSON.</summary>
    private static Task<TestBackend> StartHeaderEcho() => TestBackend.StartAsync(async context =>
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var h in context.Request.Headers)
        {
            headers[h.Key] = h.Value.ToString();
        }

        await context.Response.WriteAsJsonAsync(headers);
    });

    private static async Task<Dictionary<string, string>> ReceivedHeaders(HttpResponseMessage response)
        => new(JsonSerializer.Deserialize<Dictionary<string, string>>(await response.Content.ReadAsStringAsync())!, StringComparer.OrdinalIgnoreCase);

    [Fact]
    public async Task Hop_by_hop_request_headers_are_not_forwarded()
    {
        await using var backend = await StartHeaderEcho();
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));

        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();
        await RawHttp.WriteAsync(stream,
            "GET /h HTTP/1.1\r\nHost: shop.test\r\nConnection: X-Hop-Custom\r\nX-Hop-Custom: secret\r\nKeep-Alive: timeout=5\r\n" +
            "Proxy-Authorization: Basic abc\r\nProxy-Connection: keep-alive\r\nTE: gzip, trailers\r\nX-End-To-End: kept\r\n\r\n");
        var head = await RawHttp.ReadHeadAsync(stream);
        Assert.StartsWith("HTTP/1.1 200", head);
        var body = await ReadChunkedOrLength(stream, head);
        var received = new Dictionary<string, string>(JsonSerializer.Deserialize<Dictionary<string, string>>(body)!, StringComparer.OrdinalIgnoreCase);

        Assert.Equal("kept", received["X-End-To-End"]);
        Assert.False(received.ContainsKey("X-Hop-Custom"), "headers named in Connection are hop-by-hop: " + body);
        Assert.False(received.ContainsKey("Keep-Alive"));
        Assert.False(received.ContainsKey("Proxy-Authorization"));
        Assert.False(received.ContainsKey("Proxy-Connection"));
        Assert.True(!received.TryGetValue("Connection", out var connection) || !connection.Contains("X-Hop-Custom", StringComparison.OrdinalIgnoreCase));

        // TE is hop-by-hop except "trailers", which is forwarded alone.
        Assert.Equal("trailers", received["TE"]);
        Assert.Equal("shop.test", received["Host"]);
    }

    [Fact]
    public async Task Hop_by_hop_response_headers_are_not_returned()
    {
        // Kestrel backends refuse to send some of these, so a raw server does.
        await using var backend = new RawHttp.Server(async (stream, ct) =>
        {
            await RawHttp.ReadHeadAsync(stream, ct);
            await RawHttp.WriteAsync(stream,
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: X-Resp-Hop\r\nX-Resp-Hop: 1\r\nKeep-Alive: timeout=5\r\n" +
                "Proxy-Authenticate: Basic\r\nX-Resp-Kept: yes\r\n\r\nok");
        });
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm([backend.Address]));

        using var response = await balancer.Client.GetAsync("/");

        Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        Assert.Equal("yes", response.Headers.GetValues("X-Resp-Kept").Single());
        Assert.False(response.Headers.Contains("X-Resp-Hop"));
        Assert.False(response.Headers.Contains("Keep-Alive"));
        Assert.False(response.Headers.Contains("Proxy-Authenticate"));
    }

    [Fact]
    public async Task Forwarded_headers_from_an_untrusted_client_are_overwritten()
    {
        await using var backend = await StartHeaderEcho();
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/x");
        request.Headers.Host = "www.example.test";
        request.Headers.Add("X-Forwarded-For", "6.6.6.6");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "evil.test");
        using var response = await balancer.Client.SendAsync(request);
        var received = await ReceivedHeaders(response);

        Assert.Equal("127.0.0.1", received["X-Forwarded-For"]);
        Assert.Equal("http", received["X-Forwarded-Proto"]);
        Assert.Equal("www.example.test", received["X-Forwarded-Host"]);
        Assert.Equal("www.example.test", received["Host"]);
    }

    [Fact]
    public async Task Forwarded_headers_from_a_trusted_proxy_are_appended_to()
    {
        await using var backend = await StartHeaderEcho();
        var config = TestBalancer.SingleFarm(backend) with { TrustedProxies = ["127.0.0.0/8"] };
        await using var balancer = await TestBalancer.StartAsync(config);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/x");
        request.Headers.Host = "www.example.test";
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        request.Headers.Add("X-Forwarded-Proto", "https");
        using var response = await balancer.Client.SendAsync(request);
        var received = await ReceivedHeaders(response);

        Assert.Equal("203.0.113.7, 127.0.0.1", received["X-Forwarded-For"]);
        Assert.Equal("https, http", received["X-Forwarded-Proto"]);
        Assert.Equal("www.example.test", received["X-Forwarded-Host"]);
    }

    [Fact]
    public async Task PreserveHost_false_sends_the_servers_own_host()
    {
        await using var backend = await StartHeaderEcho();
        var config = TestBalancer.SingleFarm([backend.Address], f => f with { PreserveHost = false });
        await using var balancer = await TestBalancer.StartAsync(config);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/x");
        request.Headers.Host = "www.example.test";
        var received = await ReceivedHeaders(await balancer.Client.SendAsync(request));

        Assert.Equal(backend.Uri.Authority, received["Host"]);
        Assert.Equal("www.example.test", received["X-Forwarded-Host"]);
    }

    [Fact]
    public async Task Every_response_carries_a_generated_request_id_that_the_server_also_sees()
    {
        await using var backend = await StartHeaderEcho();
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/x");
        request.Headers.Add("X-Request-Id", "client-chosen");
        using var response = await balancer.Client.SendAsync(request);
        var received = await ReceivedHeaders(response);
        var id = response.Headers.GetValues("X-Request-Id").Single();

        Assert.NotEqual("client-chosen", id);
        Assert.Matches("^[0-9a-f]{20}$", id);
        Assert.Equal(id, received["X-Request-Id"]);
        Assert.Equal("client-chosen", received["X-Original-Request-Id"]);

        using var second = await balancer.Client.GetAsync("/y");
        Assert.NotEqual(id, second.Headers.GetValues("X-Request-Id").Single());
    }

    [Fact]
    public async Task Folded_header_lines_cannot_inject_headers()
    {
        // From the client: Kestrel refuses obs-fold with 400 and nothing reaches the server.
        await using var echo = await StartHeaderEcho();
        await using (var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(echo)))
        {
            using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
            await RawHttp.WriteAsync(tcp.GetStream(), "GET / HTTP/1.1\r\nHost: t\r\nX-A: a\r\n X-Injected: 1\r\n\r\n");
            Assert.StartsWith("HTTP/1.1 400", await RawHttp.ReadHeadAsync(tcp.GetStream()));
            Assert.Equal(0, echo.Requests);
        }

        // From a server: a folded value must not turn into a second header for the client.
        await using var raw = new RawHttp.Server(async (stream, ct) =>
        {
            await RawHttp.ReadHeadAsync(stream, ct);
            await RawHttp.WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Folded: a\r\n Set-Cookie: evil=1\r\n\r\nok");
        });
        await using var balancer2 = await TestBalancer.StartAsync(TestBalancer.SingleFarm([raw.Address]));
        using var response = await balancer2.Client.GetAsync("/");
        Assert.False(response.Headers.Contains("Set-Cookie"));
        foreach (var header in response.Headers.NonValidated)
        {
            foreach (var value in header.Value)
            {
                Assert.DoesNotContain('\n', value);
                Assert.DoesNotContain('\r', value);
            }
        }
    }

    [Fact]
    public async Task Chunked_http1_response_trailers_reach_an_http2_client()
    {
        // Kestrel does not send HTTP/1.1 trailers, so a raw server does (chunked, trailer after the last chunk).
        await using var backend = new RawHttp.Server(async (stream, ct) =>
        {
            await RawHttp.ReadHeadAsync(stream, ct);
            await RawHttp.WriteAsync(stream, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n4\r\nbody\r\n0\r\nX-Checksum: abc123\r\n\r\n");
        });
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm([backend.Address]), protocols: ListenProtocols.Http2);

        using var response = await balancer.Client.GetAsync("/t");

        Assert.Equal(new Version(2, 0), response.Version);
        Assert.Equal("body", await response.Content.ReadAsStringAsync());
        Assert.Equal("abc123", response.TrailingHeaders.GetValues("X-Checksum").Single());
    }

    private static async Task<string> ReadChunkedOrLength(System.Net.Sockets.NetworkStream stream, string head)
    {
        var length = RawHttp.ContentLength(head);
        if (length >= 0)
        {
            return await RawHttp.ReadExactlyAsync(stream, length);
        }

        var sb = new StringBuilder();
        while (true)
        {
            var line = await ReadLine(stream);
            var size = Convert.ToInt32(line.Trim(), 16);
            if (size == 0)
            {
                await ReadLine(stream);
                return sb.ToString();
            }

            sb.Append(await RawHttp.ReadExactlyAsync(stream, size));
            await ReadLine(stream);
        }
    }

    private static async Task<string> ReadLine(System.Net.Sockets.NetworkStream stream)
    {
        var sb = new StringBuilder();
        var one = new byte[1];
        while (await stream.ReadAsync(one) == 1 && one[0] != '\n')
        {
            if (one[0] != '\r')
            {
                sb.Append((char)one[0]);
            }
        }

        return sb.ToString();
    }
}
