using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using WebFarm.Balancer.Admin;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Forwarding;

/// <summary>
/// Hostile requests (issue 13), each sent from a raw socket through a real balancer to a <see cref="RecordingBackend"/>,
/// on both client paths: the HTTP/1.1 front end (on by default; it serves or hands off) and Kestrel alone
/// (<c>"Http1FrontEnd": false</c>). Each case asserts what the client gets, the exact bytes the server got (or that it
/// got nothing), and that the server is still healthy afterwards with passive health on (one failure would eject it).
/// </summary>
public sealed class HostileRequestTests
{
    private const string Ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    /// <summary>What a case sends, what the client must get, and what the server must (not) see.</summary>
    private sealed record HostileCase(
        string Request,
        int[] Statuses,
        Action<IReadOnlyList<ReceivedRequest>> Upstream,
        bool HalfClose = false,
        Func<ReceivedRequest, byte[]>? Respond = null,
        Func<BalancerConfig, BalancerConfig>? Configure = null,
        bool ServerAtFault = false);

    private static readonly Dictionary<string, HostileCase> Cases = new()
    {
        // 1: obs-text in a header value is forwarded as the same bytes, with and without a body.
        ["obs-text-post"] = new(
            "POST /x HTTP/1.1\r\nHost: example.com\r\nX-Hi: caf\u00c3\u00a9\r\nContent-Length: 5\r\n\r\nhello",
            [200],
            up => AssertOne(up, r => Assert.Contains("\r\nX-Hi: caf\u00c3\u00a9\r\n", r.HeadText, StringComparison.Ordinal), body: "hello")),
        ["obs-text-get"] = new(
            "GET /x HTTP/1.1\r\nHost: example.com\r\nX-Hi: caf\u00c3\u00a9\r\n\r\n",
            [200],
            up => AssertOne(up, r => Assert.Contains("\r\nX-Hi: caf\u00c3\u00a9\r\n", r.HeadText, StringComparison.Ordinal))),

        // 2: header names that are not tokens are refused, with or without a body.
        ["name-del"] = Refused("GET /x HTTP/1.1\r\nHost: example.com\r\nX-D\u007fel: a\r\n\r\n", 400),
        ["name-paren"] = Refused("GET /x HTTP/1.1\r\nHost: example.com\r\nX(Bad: 1\r\n\r\n", 400),
        ["name-slash-at"] = Refused("GET /x HTTP/1.1\r\nHost: example.com\r\nX/Y@Z: 1\r\n\r\n", 400),
        ["name-quote-brace"] = Refused("GET /x HTTP/1.1\r\nHost: example.com\r\nX\"{}: 1\r\n\r\n", 400),
        ["name-te-vt"] = Refused("GET /x HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding\u000b: chunked\r\n\r\n", 400),
        ["name-with-body"] = Refused("POST /x HTTP/1.1\r\nHost: example.com\r\nX[1]: a\r\nContent-Length: 5\r\n\r\nhello", 400),

        // 3: OPTIONS * reaches the server in asterisk form.
        ["options-asterisk"] = new(
            "OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n",
            [200],
            up => AssertOne(up, r => Assert.Equal("OPTIONS * HTTP/1.1", r.RequestLine))),

        // 4: CONNECT is refused (a farm is not a forward proxy), with Allow.
        ["connect"] = Refused("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 405),

        // 5: a complete request followed by the client's half-close is served; so is each of two pipelined ones.
        ["half-close-get"] = new(
            "GET /x HTTP/1.1\r\nHost: example.com\r\n\r\n",
            [200],
            up => AssertOne(up, r => Assert.Equal("GET /x HTTP/1.1", r.RequestLine)),
            HalfClose: true),
        ["half-close-post"] = new(
            "POST /x HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n\r\nhello",
            [200],
            up => AssertOne(up, r => Assert.Equal("POST /x HTTP/1.1", r.RequestLine), body: "hello"),
            HalfClose: true),
        ["half-close-pipelined"] = new(
            "GET /one HTTP/1.1\r\nHost: example.com\r\n\r\nGET /two HTTP/1.1\r\nHost: example.com\r\n\r\n",
            [200, 200],
            up => Assert.Equal(["GET /one HTTP/1.1", "GET /two HTTP/1.1"], up.Select(r => r.RequestLine)),
            HalfClose: true),

        // 6: a fragment in the request-target is refused (routing and the server would see different paths).
        ["fragment"] = Refused("GET /api#frag HTTP/1.1\r\nHost: example.com\r\n\r\n", 400),

        // Found by MutatedRequestTests: Kestrel lets a bare CR through in the target, which a lenient server reads as
        // the end of the request line.
        ["cr-in-target"] = Refused("GET /sh\rop/item HTTP/1.1\r\nHost: example.com\r\n\r\n", 400),

        // 7: an h2c upgrade is not forwarded (the upgrade, its settings and the Connection tokens naming them are stripped).
        ["h2c-upgrade"] = new(
            "GET /x HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n",
            [200],
            up => AssertOne(up, r =>
            {
                Assert.Empty(r.Values("Upgrade"));
                Assert.Empty(r.Values("HTTP2-Settings"));
                Assert.All(r.Values("Connection"), v => Assert.DoesNotContain("upgrade", v, StringComparison.OrdinalIgnoreCase));
            })),

        // 8: headers named in Connection next to keep-alive/close stay behind.
        ["connection-keep-alive-named"] = new(
            "GET /x HTTP/1.1\r\nHost: example.com\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s3cret\r\nX-Public: p\r\n\r\n",
            [200],
            up => AssertOne(up, r =>
            {
                Assert.Empty(r.Values("X-Secret"));
                Assert.Equal(["p"], r.Values("X-Public"));
            })),
        ["connection-close-named"] = new(
            "GET /x HTTP/1.1\r\nHost: example.com\r\nConnection: close, X-Secret\r\nX-Secret: s3cret\r\nX-Public: p\r\n\r\n",
            [200],
            up => AssertOne(up, r =>
            {
                Assert.Empty(r.Values("X-Secret"));
                Assert.Equal(["p"], r.Values("X-Public"));
            })),
        ["connection-named-with-body"] = new(
            "POST /x HTTP/1.1\r\nHost: example.com\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s3cret\r\nContent-Length: 5\r\n\r\nhello",
            [200],
            up => AssertOne(up, r => Assert.Empty(r.Values("X-Secret")), body: "hello")),

        // Also: framing only in its one plain form.
        ["content-length-plus"] = Refused("POST /x HTTP/1.1\r\nHost: example.com\r\nContent-Length: +5\r\n\r\nhello", 400),
        ["te-identity-chunked-with-length"] = Refused(
            "POST /x HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: identity, chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400),
        ["te-gzip-chunked"] = Refused("POST /x HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400),
        ["te-chunked-twice"] = Refused("POST /x HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400),
        ["te-chunked-with-length"] = Refused("POST /x HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400),
        ["te-chunked"] = new(
            "POST /x HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            [200],
            up => AssertOne(up, r =>
            {
                Assert.Empty(r.Values("X-Content-Length"));
                Assert.Equal(["chunked"], r.Values("Transfer-Encoding"));
            }, body: "hello")),
        ["http09"] = Refused("GET /\r\n", 400),

        // Also: X-Real-IP and Forwarded from a client that is not a trusted proxy do not reach the server; a trusted proxy's do.
        ["forwarded-untrusted"] = new(
            "GET /x HTTP/1.1\r\nHost: example.com\r\nX-Real-IP: 203.0.113.9\r\nForwarded: for=203.0.113.9\r\n\r\n",
            [200],
            up => AssertOne(up, r =>
            {
                Assert.Empty(r.Values("X-Real-IP"));
                Assert.Empty(r.Values("Forwarded"));
            })),
        ["forwarded-trusted"] = new(
            "GET /x HTTP/1.1\r\nHost: example.com\r\nX-Real-IP: 203.0.113.9\r\nForwarded: for=203.0.113.9\r\n\r\n",
            [200],
            up => AssertOne(up, r =>
            {
                Assert.Equal(["203.0.113.9"], r.Values("X-Real-IP"));
                Assert.Equal(["for=203.0.113.9"], r.Values("Forwarded"));
            }),
            Configure: c => c with { TrustedProxies = ["127.0.0.1/32"] }),

        // Also: a 101 whose Sec-WebSocket-Accept does not answer the key is a bad response, not a tunnel (the server's
        // failure, so the health check is skipped for it: it rightly counts against the server).
        ["websocket-bad-accept"] = new(
            "GET /ws HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
            [502],
            up => Assert.Single(up),
            Respond: _ => "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: bm90IHRoZSByaWdodCBvbmU=\r\n\r\n"u8.ToArray(),
            ServerAtFault: true),
        ["websocket-good-accept"] = new(
            "GET /ws HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
            [101],
            up => Assert.Single(up),
            Respond: _ => Encoding.ASCII.GetBytes($"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: {WebSocketAccept("dGhlIHNhbXBsZSBub25jZQ==")}\r\n\r\n")),
    };

    public static TheoryData<string, bool> AllCases()
    {
        var data = new TheoryData<string, bool>();
        foreach (var name in Cases.Keys)
        {
            data.Add(name, true);
            data.Add(name, false);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public Task A_hostile_request_gets_a_clear_answer_and_never_harms_the_server(string name, bool frontEnd)
        => RunAsync(name, frontEnd, https: false);

    /// <summary>
    /// The framing and header-name cases again on an https listener (HTTP/1.1 through ALPN), front end on: TLS
    /// connections are read by the same front end and, when handed off, by Kestrel through the same tap, so the same
    /// request gets the same answer. The half-close cases are left out: a TLS client's close_notify is not a TCP FIN.
    /// </summary>
    [Theory]
    [InlineData("name-paren")]
    [InlineData("name-te-vt")]
    [InlineData("name-with-body")]
    [InlineData("cr-in-target")]
    [InlineData("connection-keep-alive-named")]
    [InlineData("content-length-plus")]
    [InlineData("te-chunked-with-length")]
    [InlineData("te-chunked-twice")]
    [InlineData("te-chunked")]
    [InlineData("http09")]
    public Task A_hostile_request_over_tls_gets_the_same_answer_as_on_cleartext(string name)
        => RunAsync(name, frontEnd: true, https: true);

    private static async Task RunAsync(string name, bool frontEnd, bool https)
    {
        var c = Cases[name];
        using var folder = new TempDirectory();
        await using var backend = new RecordingBackend(c.Respond);
        await using var balancer = await StartAsync(backend, frontEnd, c.Configure, https ? folder.Path : null);
        using var tcp = https ? new TcpClient() : await RawHttp.ConnectAsync(balancer.Uri);
        await using Stream stream = https
            ? await RawHttp.ConnectTlsAsync(tcp, balancer.Uri, "example.com", SslApplicationProtocol.Http11)
            : tcp.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(c.Request));
        if (c.HalfClose)
        {
            tcp.Client.Shutdown(SocketShutdown.Send);
        }

        foreach (var expected in c.Statuses)
        {
            var response = await RawHttp.ReadResponseAsync(stream);
            Assert.True(response.Status == expected, $"{name}: expected {expected}, got:\n{response}\nthe server got:\n{string.Join("\n", backend.Requests)}");
            if (expected == 405)
            {
                Assert.NotEmpty(response.Values("Allow"));
            }
        }

        c.Upstream(backend.Requests);
        Assert.All(backend.Requests, r => Assert.True(r.FramingError is null, $"{name}: the server got an ambiguous request: {r}"));
        if (!c.ServerAtFault)
        {
            await AssertHealthyAsync(balancer);
        }
    }

    /// <summary>A case the balancer must refuse with <paramref name="status"/> without sending the server anything.</summary>
    private static HostileCase Refused(string request, int status)
        => new(request, [status], up => Assert.True(up.Count == 0, "the server got: " + string.Join("\n", up)));

    private static void AssertOne(IReadOnlyList<ReceivedRequest> upstream, Action<ReceivedRequest> check, string body = "")
    {
        var request = Assert.Single(upstream);
        check(request);
        Assert.Equal(body, DecodedBody(request));
    }

    /// <summary>The body's data whatever framing the balancer chose (Content-Length or chunked).</summary>
    private static string DecodedBody(ReceivedRequest request)
    {
        var raw = Encoding.Latin1.GetString(request.Body);
        if (!request.Values("Transfer-Encoding").Contains("chunked"))
        {
            return raw;
        }

        var data = new StringBuilder();
        var at = 0;
        while (true)
        {
            var lineEnd = raw.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = Convert.ToInt32(raw[at..lineEnd].Split(';')[0], 16);
            if (size == 0)
            {
                return data.ToString();
            }

            data.Append(raw, lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
    }

    private static string WebSocketAccept(string key)
        => Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));

    /// <summary>One farm "web" with the backend as "web1", passive health that ejects a server at its first failure.</summary>
    /// <param name="certificates">A folder to write a certificate to and listen on https with; null: cleartext.</param>
    internal static Task<TestBalancer> StartAsync(RecordingBackend backend, bool frontEnd, Func<BalancerConfig, BalancerConfig>? configure = null, string? certificates = null)
    {
        var config = TestBalancer.SingleFarm([backend.Address], f => f with
        {
            PassiveHealth = new PassiveHealthOptions { MaxFailures = 1, Window = TimeSpan.FromMinutes(5), ReactivationPeriod = TimeSpan.FromMinutes(10) },
        }) with
        { Http1FrontEnd = frontEnd };
        config = configure?.Invoke(config) ?? config;
        if (certificates is null)
        {
            return TestBalancer.StartAsync(config);
        }

        TestCertificates.WritePemPair(certificates, "example", TestCertificates.Server("example", ["example.com"]));
        return TestBalancer.StartAsync(config, host: o => o with { ListenOverride = [new ListenEndpoint("https://127.0.0.1:0") { Certificates = certificates }] });
    }

    /// <summary>The admin API still reports web1 healthy and available.</summary>
    internal static async Task AssertHealthyAsync(TestBalancer balancer, string because = "")
    {
        var server = await balancer.Admin.GetFromJsonAsync<ServerInfo>("/api/farms/web/servers/web1", AdminJson.Options);
        Assert.True(server is { Healthy: true, Available: true }, $"web1 was marked failed {because}: {server}");
    }
}
