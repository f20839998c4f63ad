using System.Globalization;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.LoadBalancing;
using WebFarm.Balancer.Tests.Infrastructure;
using static WebFarm.Balancer.Tests.Infrastructure.RawHttp;

namespace WebFarm.Balancer.Tests.FrontEnd;

/// <summary>
/// The connection-level HTTP/1.1 front end, seen from a raw client socket: which requests it serves itself and which
/// connections it hands to Kestrel (proved by its Requests/HandOffs counters, never by the answer alone, since both
/// paths answer alike), keep-alive and pipelining, the response framings it relays, its error answers, the header
/// rules (compared with what the Kestrel path sends), client timeouts, clients that leave, and graceful stop.
/// </summary>
public sealed class Http1FrontEndTests
{
    private const string Ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    /// <summary>What a scripted server does with one request head: answer it (true keeps reading the connection) or stop (false closes it).</summary>
    private delegate Task<bool> Answer(NetworkStream stream, string head, CancellationToken cancellationToken);

    // ---------------------------------------------------------------- helpers

    /// <summary>A backend that answers "METHOD path?query body=BODY" (path decoded, as the server's framework sees it), with Content-Length.</summary>
    private static Task<TestBackend> StartEchoAsync(HttpProtocols protocols = HttpProtocols.Http1AndHttp2) => TestBackend.StartAsync(
        async context =>
        {
            var body = await new StreamReader(context.Request.Body).ReadToEndAsync(context.RequestAborted);
            var bytes = Encoding.UTF8.GetBytes($"{context.Request.Method} {context.Request.Path.Value}{context.Request.QueryString.Value} body={body}");
            context.Response.Headers["X-From-Server"] = "yes";
            context.Response.ContentLength = bytes.Length;
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
        },
        protocols);

    /// <summary>A raw server that reads request heads in a loop on each connection and lets <paramref name="answer"/> respond (bodyless requests only).</summary>
    private static RawHttp.Server KeepAliveServer(Answer answer) => new(async (stream, ct) =>
    {
        while (true)
        {
            var head = await RawHttp.ReadHeadAsync(stream, ct);
            if (head.Length == 0 || !await answer(stream, head, ct))
            {
                return;
            }
        }
    });

    private static FarmOptions NoRetries(FarmOptions f) => f with { Retries = new RetryOptions { MaxAttempts = 1 } };

    private static BalancerConfig WithFarm(BalancerConfig config, Func<FarmOptions, FarmOptions> change)
        => config with { Farms = new Dictionary<string, FarmOptions> { ["web"] = change(config.Farms["web"]) } };

    /// <summary>Farm "bad" (one server "broken1" at <paramref name="badAddress"/>, no retries) for everything, farm "good" for /good.</summary>
    private static BalancerConfig BadAndGoodFarms(string badAddress, string goodAddress, Func<FarmOptions, FarmOptions>? bad = null) => new()
    {
        Farms = new Dictionary<string, FarmOptions>
        {
            ["bad"] = (bad ?? (f => f))(NoRetries(new FarmOptions { Servers = [new ServerOptions { Name = "broken1", Address = badAddress }] })),
            ["good"] = new FarmOptions { Servers = [new ServerOptions { Name = "fine1", Address = goodAddress }] },
        },
        Routes = [new RouteOptions { Farm = "bad" }, new RouteOptions { Path = "/good", Farm = "good" }],
    };

    private static string Get(string path, string extraHeaders = "") => $"GET {path} HTTP/1.1\r\nHost: t\r\n{extraHeaders}\r\n";

    /// <summary>
    /// Waits (briefly: a counter may move just after the response's last byte went out) until the front end's counters
    /// read <paramref name="requests"/> and <paramref name="handOffs"/>, else fails showing both.
    /// </summary>
    private static async Task AssertCountersAsync(TestBalancer balancer, long requests, long handOffs)
    {
        var frontEnd = balancer.Runtime.FrontEnd;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (frontEnd.Requests != requests || frontEnd.HandOffs != handOffs)
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"expected the front end to answer {requests} request(s) and hand {handOffs} connection(s) to Kestrel; " +
                    $"it answered {frontEnd.Requests} and handed off {frontEnd.HandOffs}");
            }

            await Task.Delay(20);
        }
    }

    private static Task AssertServedByFrontEndAsync(TestBalancer balancer, long requests) => AssertCountersAsync(balancer, requests, handOffs: 0);

    private static string FirstLine(string head) => head[..head.IndexOf("\r\n", StringComparison.Ordinal)];

    private static async Task<bool> CanConnectAsync(Uri uri)
    {
        try
        {
            using var probe = new TcpClient();
            await probe.ConnectAsync(uri.Host, uri.Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    // ---------------------------------------------------------------- 1-3: served by the front end

    [Fact]
    public async Task A_plain_get_is_served_by_the_front_end()
    {
        await using var backend = await StartEchoAsync();
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));
        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();

        await RawHttp.WriteAsync(stream, Get("/plain?x=1"));
        var response = await ReadResponseAsync(stream);

        Assert.Equal(200, response.Status);
        Assert.Equal("GET /plain?x=1 body=", response.Body);
        Assert.Equal(["yes"], response.Values("X-From-Server"));
        Assert.Matches("^[0-9a-f]{20}$", response.RequestId);
        var date = Assert.Single(response.Values("Date"));
        Assert.True(DateTimeOffset.TryParseExact(date, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _), "Date is not an HTTP date: " + date);
        Assert.Equal(1, backend.Requests);
        await AssertServedByFrontEndAsync(balancer, requests: 1);

        // The same counters on /metrics (the admin listener is not an HTTP/1.1 data-plane listener: not counted).
        var metrics = await balancer.Admin.GetStringAsync("/metrics");
        Assert.Contains("webfarm_frontend_requests_total 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("webfarm_frontend_handoffs_total 0\n", metrics, StringComparison.Ordinal);
    }

    // Each differs from the plain GET in one way that the front end must still accept.
    [Theory]
    [InlineData("HEAD /head HTTP/1.1\r\nHost: t\r\n\r\n", "/head", "")]
    [InlineData("OPTIONS /options HTTP/1.1\r\nHost: t\r\n\r\n", "/options", "OPTIONS /options body=")]
    [InlineData("DELETE /delete HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", "/delete", "DELETE /delete body=")]
    [InlineData("GET /headers HTTP/1.1\r\nhost: t\r\nConnection: keep-alive\r\nCookie: a=1; b=2\r\nAccept: */*\r\nX-Empty:\r\n\r\n", "/headers", "GET /headers body=")]
    [InlineData("GET /.well-known/a..b HTTP/1.1\r\nHost: t\r\n\r\n", "/.well-known/a..b", "GET /.well-known/a..b body=")]
    public async Task Every_plain_request_shape_is_served_by_the_front_end(string request, string path, string body)
    {
        await using var backend = await StartEchoAsync();
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));
        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();

        await RawHttp.WriteAsync(stream, request);
        var response = await ReadResponseAsync(stream, headRequest: request.StartsWith("HEAD ", StringComparison.Ordinal));

        Assert.Equal(200, response.Status);
        Assert.Equal(body, response.Body);
        Assert.Equal(1, backend.Hits(path));
        await AssertServedByFrontEndAsync(balancer, requests: 1);

        // Nothing of the response (a HEAD's announced body included) is left in front of the next one.
        await RawHttp.WriteAsync(stream, Get("/next"));
        Assert.Equal("GET /next body=", (await ReadResponseAsync(stream)).Body);
    }

    [Theory]
    [InlineData(LoadBalancingAlgorithm.RoundRobin)]
    [InlineData(LoadBalancingAlgorithm.LeastRequests)]
    [InlineData(LoadBalancingAlgorithm.LeastResponseTime)]
    [InlineData(LoadBalancingAlgorithm.Random)]
    [InlineData(LoadBalancingAlgorithm.PowerOfTwoChoices)]
    [InlineData(LoadBalancingAlgorithm.First)]
    public async Task Policies_that_do_not_read_the_request_are_served_by_the_front_end(LoadBalancingAlgorithm policy)
    {
        await using var backend = await StartEchoAsync();
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm([backend.Address], f => f with { LoadBalancing = policy }));
        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();

        await RawHttp.WriteAsync(stream, Get("/p"));
        Assert.Equal("GET /p body=", (await ReadResponseAsync(stream)).Body);
        await AssertServedByFrontEndAsync(balancer, requests: 1);
    }

    [Fact]
    public async Task Fifty_sequential_requests_share_one_client_connection()
    {
        await using var backend = await StartEchoAsync();
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));
        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();

        for (var i = 0; i < 50; i++)
        {
            await RawHttp.WriteAsync(stream, Get($"/k{i}"));
            var response = await ReadResponseAsync(stream);
            Assert.True(response.Status == 200 && response.Body == $"GET /k{i} body=", $"request {i}: {response}");
        }

        Assert.Equal(50, backend.Requests);
        await AssertServedByFrontEndAsync(balancer, requests: 50);
    }

    [Fact]
    public async Task Pipelined_requests_are_answered_in_order()
    {
        await using var backend = await StartEchoAsync();
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));
        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();

        await RawHttp.WriteAsync(stream, Get("/one") + Get("/two") + Get("/three"));

        Assert.Equal("GET /one body=", (await ReadResponseAsync(stream)).Body);
        Assert.Equal("GET /two body=", (await ReadResponseAsync(stream)).Body);
        Assert.Equal("GET /three body=", (await ReadResponseAsync(stream)).Body);
        await AssertServedByFrontEndAsync(balancer, requests: 3);
    }

    [Fact]
    public async Task Connection_close_from_the_client_is_answered_then_the_connection_is_closed()
    {
        await using var backend = await StartEchoAsync();
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));
        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();

        await RawHttp.WriteAsync(stream, Get("/bye", "Connection: close\r\n"));
        var response = await ReadResponseAsync(stream);

        Assert.Equal("GET /bye body=", response.Body);
        Assert.Contains(response.Values("Connection"), v => v.Equals("close", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(string.Empty, await ReadUntilClosedAsync(stream, Deadline));
        await AssertServedByFrontEndAsync(balancer, requests: 1);
    }

    // ---------------------------------------------------------------- 4: hand-offs to Kestrel

    // Each differs from a plain GET in one way that makes the front end hand the connection to Kestrel, which then
    // answers as it always did. A null body means "the status is all that matters" (Kestrel's own error answers).
    [Theory]
    [InlineData("post-with-body", "POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello", 200, "POST /p body=hello")]
    [InlineData("put-method", "PUT /u HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", 200, "PUT /u body=")]
    [InlineData("http-1.0", "GET /old HTTP/1.0\r\nHost: t\r\n\r\n", 200, "GET /old body=")]
    [InlineData("percent-encoding", "GET /a%20b HTTP/1.1\r\nHost: t\r\n\r\n", 200, "GET /a b body=")]
    [InlineData("dot-segment", "GET /x/../y HTTP/1.1\r\nHost: t\r\n\r\n", 200, "GET /y body=")]
    [InlineData("absolute-form", "GET http://t/abs HTTP/1.1\r\nHost: t\r\n\r\n", 200, "GET /abs body=")]
    [InlineData("chunked-request", "GET /te HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 200, "GET /te body=hello")]
    [InlineData("content-length-body", "GET /cl HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello", 200, "GET /cl body=hello")]
    [InlineData("expect", "GET /e HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n\r\n", 200, "GET /e body=")]
    [InlineData("upgrade-header", "GET /up HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\n\r\n", 200, "GET /up body=")]
    [InlineData("connection-names-a-header", "GET /hop HTTP/1.1\r\nHost: t\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\n\r\n", 200, "GET /hop body=")]
    [InlineData("two-cookie-lines", "GET /ck HTTP/1.1\r\nHost: t\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n", 200, "GET /ck body=")]
    [InlineData("malformed-request-line", "GET  /two-spaces HTTP/1.1\r\nHost: t\r\n\r\n", 400, null)]
    [InlineData("obs-fold", "GET /fold HTTP/1.1\r\nHost: t\r\nX-A: a\r\n X-Injected: 1\r\n\r\n", 400, null)]
    [InlineData("space-before-colon", "GET /sp HTTP/1.1\r\nHost : t\r\n\r\n", 400, null)]
    [InlineData("two-hosts", "GET /hosts HTTP/1.1\r\nHost: t\r\nHost: u\r\n\r\n", 400, null)]
    [InlineData("no-host", "GET /nohost HTTP/1.1\r\nAccept: */*\r\n\r\n", 400, null)]
    [InlineData("header-name-not-a-token", "GET /name HTTP/1.1\r\nHost: t\r\nX(Bad: 1\r\n\r\n", 400, null)]
    [InlineData("control-character-in-value", "GET /ctl HTTP/1.1\r\nHost: t\r\nX-Ctl: a\u0001b\r\n\r\n", 400, null)]
    [InlineData("bare-lf", "GET /lf HTTP/1.1\nHost: t\n\n", 400, null)]
    public async Task Requests_the_front_end_does_not_serve_are_handed_to_kestrel(string kind, string request, int status, string? body)
    {
        await using var backend = await StartEchoAsync();
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));
        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();

        await RawHttp.WriteAsync(stream, request);
        var response = await ReadResponseAsync(stream);

        Assert.True(response.Status == status, $"{kind}: expected {status}, got {response}");
        if (body is null)
        {
            Assert.Equal(0, backend.Requests);
        }
        else
        {
            Assert.Equal(body, response.Body);
        }

        await AssertCountersAsync(balancer, requests: 0, handOffs: 1);
    }

    [Fact]
    public async Task A_head_over_16_KiB_is_handed_to_kestrel_which_accepts_it()
    {
        await using var backend = await StartEchoAsync();
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));
        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();

        // 20 KiB: over the front end's 16 KiB, under Kestrel's 32 KiB.
        await RawHttp.WriteAsync(stream, Get("/big", "X-Big: " + new string('b', 20 * 1024) + "\r\n"));
        var response = await ReadResponseAsync(stream);

        Assert.Equal(200, response.Status);
        Assert.Equal("GET /big body=", response.Body);
        await AssertCountersAsync(balancer, requests: 0, handOffs: 1);
    }

    [Fact]
    public async Task Expect_100_continue_is_handed_to_kestrel_which_sends_the_interim_response()
    {
        await using var backend = await StartEchoAsync();
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));
        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();

        await RawHttp.WriteAsync(stream, "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
        var interim = await RawHttp.ReadHeadAsync(stream).WaitAsync(Deadline);
        Assert.StartsWith("HTTP/1.1 100", interim);
        await RawHttp.WriteAsync(stream, "hello");

        Assert.Equal("POST /upload body=hello", (await ReadResponseAsync(stream)).Body);
        await AssertCountersAsync(balancer, requests: 0, handOffs: 1);
    }

    [Fact]
    public async Task A_websocket_upgrade_is_handed_to_kestrel_and_echoes()
    {
        await using var backend = await TestBackend.StartWebSocketEchoAsync();
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));

        using (var client = new ClientWebSocket())
        {
            await client.ConnectAsync(new Uri($"ws://{balancer.Uri.Authority}/ws"), CancellationToken.None).WaitAsync(Deadline);
            await client.SendAsync(Encoding.UTF8.GetBytes("hi"), WebSocketMessageType.Text, true, CancellationToken.None);
            var buffer = new byte[1024];
            var result = await client.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(Deadline);
            Assert.Equal("echo:hi", Encoding.UTF8.GetString(buffer, 0, result.Count));
            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None).WaitAsync(Deadline);
        }

        await AssertCountersAsync(balancer, requests: 0, handOffs: 1);
        await Eventually.True(() => balancer.Runtime.Farms["web"].Servers[0].InFlight == 0, Deadline, "the tunnel ended");
    }

    // Farm or balancer settings under which a plain GET needs what only the Kestrel path does (affinity, health, the
    // access log and every load-balancing policy are the front end's too: FrontEndFarmFeatureTests).
    [Theory]
    [InlineData("direct-http1-off")]
    [InlineData("http2-farm")]
    public async Task Settings_the_front_end_does_not_implement_hand_every_request_to_kestrel(string setting)
    {
        await using var backend = await StartEchoAsync(setting == "http2-farm" ? HttpProtocols.Http2 : HttpProtocols.Http1AndHttp2);
        var config = TestBalancer.SingleFarm([backend.Address], f => setting switch
        {
            "direct-http1-off" => f with { DirectHttp1 = false },
            "http2-farm" => f with { HttpVersion = "2" },
            _ => f,
        });
        await using var balancer = await TestBalancer.StartAsync(config);
        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();

        await RawHttp.WriteAsync(stream, Get("/cfg", "X-User: u1\r\n"));
        var response = await ReadResponseAsync(stream);

        Assert.True(response.Status == 200 && response.Body == "GET /cfg body=", $"{setting}: {response}");

        await AssertCountersAsync(balancer, requests: 0, handOffs: 1);
    }

    [Fact]
    public async Task No_matching_route_is_handed_to_kestrel_which_answers_404()
    {
        await using var backend = await StartEchoAsync();
        var config = TestBalancer.SingleFarm(backend) with { Routes = [new RouteOptions { Path = "/app", Farm = "web" }] };
        await using var balancer = await TestBalancer.StartAsync(config);
        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();

        await RawHttp.WriteAsync(stream, Get("/elsewhere"));
        var response = await ReadResponseAsync(stream);

        Assert.Equal(404, response.Status);
        Assert.Contains("no route", response.Body);
        Assert.Equal(0, backend.Requests);
        await AssertCountersAsync(balancer, requests: 0, handOffs: 1);

        // The routed path on a new connection is the front end's again.
        using var tcp2 = await RawHttp.ConnectAsync(balancer.Uri);
        await RawHttp.WriteAsync(tcp2.GetStream(), Get("/app/x"));
        Assert.Equal("GET /app/x body=", (await ReadResponseAsync(tcp2.GetStream())).Body);
        await AssertCountersAsync(balancer, requests: 1, handOffs: 1);
    }

    [Fact]
    public async Task A_connection_handed_off_mid_way_keeps_serving_every_later_request()
    {
        await using var backend = await StartEchoAsync();
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));
        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();

        for (var i = 0; i < 3; i++)
        {
            await RawHttp.WriteAsync(stream, Get($"/g{i}"));
            Assert.Equal($"GET /g{i} body=", (await ReadResponseAsync(stream)).Body);
        }

        await AssertServedByFrontEndAsync(balancer, requests: 3);

        await RawHttp.WriteAsync(stream, "POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
        Assert.Equal("POST /p body=hello", (await ReadResponseAsync(stream)).Body);
        await RawHttp.WriteAsync(stream, Get("/after"));
        Assert.Equal("GET /after body=", (await ReadResponseAsync(stream)).Body);

        Assert.Equal(5, backend.Requests);
        await AssertCountersAsync(balancer, requests: 3, handOffs: 1);
    }

    [Fact]
    public async Task A_hand_off_inside_a_pipelined_write_keeps_the_bytes_already_read()
    {
        // The POST (and the GET behind it) arrive in the same segment as the plain GETs: whatever the front end
        // already read past its last request must reach Kestrel intact.
        await using var backend = await StartEchoAsync();
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));
        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();

        await RawHttp.WriteAsync(stream, Get("/g0") + Get("/g1") + Get("/g2") + "POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello" + Get("/after"));

        foreach (var expected in new[] { "GET /g0 body=", "GET /g1 body=", "GET /g2 body=", "POST /p body=hello", "GET /after body=" })
        {
            Assert.Equal(expected, (await ReadResponseAsync(stream)).Body);
        }

        await AssertCountersAsync(balancer, requests: 3, handOffs: 1);
    }

    // ---------------------------------------------------------------- 5: switched off

    [Fact]
    public async Task Http1FrontEnd_false_in_the_config_file_leaves_every_request_to_kestrel()
    {
        await using var backend = await StartEchoAsync();
        await using var balancer = await TestBalancer.StartFromJsonAsync($$"""
            {
              "Http1FrontEnd": false,
              "Farms": { "web": { "Servers": [ { "Name": "web1", "Address": "{{backend.Address}}" } ] } }
            }
            """);
        Assert.False(balancer.Runtime.Config.Http1FrontEnd);
        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();

        await RawHttp.WriteAsync(stream, Get("/a"));
        Assert.Equal("GET /a body=", (await ReadResponseAsync(stream)).Body);
        await RawHttp.WriteAsync(stream, Get("/b") + Get("/c") + "POST /d HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi");
        Assert.Equal("GET /b body=", (await ReadResponseAsync(stream)).Body);
        Assert.Equal("GET /c body=", (await ReadResponseAsync(stream)).Body);
        Assert.Equal("POST /d body=hi", (await ReadResponseAsync(stream)).Body);

        Assert.Equal(4, backend.Requests);
        Assert.Equal(0, balancer.Runtime.FrontEnd.Requests);
    }

    [Fact]
    public void Http1FrontEnd_is_on_by_default()
    {
        Assert.True(new BalancerConfig().Http1FrontEnd);
    }

    // ---------------------------------------------------------------- 6: upstream response framings

    /// <summary>A scripted server answering by path; "/close" ends its body by closing the connection.</summary>
    private static RawHttp.Server FramingServer() => KeepAliveServer(async (stream, head, ct) =>
    {
        var line = FirstLine(head);
        if (line.StartsWith("HEAD ", StringComparison.Ordinal))
        {
            // As HEAD requires: the framing the GET would have, no body bytes.
            await RawHttp.WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nX-Kind: head\r\n\r\n");
            return true;
        }

        var path = line.Split(' ')[1];
        switch (path)
        {
            case "/length":
                await RawHttp.WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-Kind: length\r\n\r\nhello world");
                return true;
            case "/chunked":
                await RawHttp.WriteAsync(stream, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Kind: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc\r\n\r\n");
                return true;
            case "/close":
                await RawHttp.WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Kind: close\r\n\r\nhello ");
                await RawHttp.WriteAsync(stream, "world");
                stream.Socket.Shutdown(SocketShutdown.Both);
                return false;
            case "/204":
                await RawHttp.WriteAsync(stream, "HTTP/1.1 204 No Content\r\nX-Kind: none\r\n\r\n");
                return true;
            case "/304":
                await RawHttp.WriteAsync(stream, "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nX-Kind: not-modified\r\n\r\n");
                return true;
            case "/interim":
                await RawHttp.WriteAsync(stream, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n");
                await RawHttp.WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-Kind: interim\r\n\r\nhello world");
                return true;
            default:
                await RawHttp.WriteAsync(stream, Ok);
                return true;
        }
    });

    [Theory]
    [InlineData("GET /length", 200, "hello world")]
    [InlineData("GET /chunked", 200, "hello world")]
    [InlineData("GET /close", 200, "hello world")]
    [InlineData("HEAD /head", 200, "")]
    [InlineData("GET /204", 204, "")]
    [InlineData("GET /304", 304, "")]
    [InlineData("GET /interim", 200, "hello world")]
    public async Task Upstream_framings_reach_the_client_as_valid_responses_on_a_kept_connection(string requestLine, int status, string body)
    {
        await using var server = FramingServer();
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm([server.Address]));
        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();

        await RawHttp.WriteAsync(stream, requestLine + " HTTP/1.1\r\nHost: t\r\n\r\n");
        var response = await ReadResponseAsync(stream, headRequest: requestLine.StartsWith("HEAD ", StringComparison.Ordinal));

        Assert.True(response.Status == status, $"{requestLine}: expected {status}, got {response}");
        Assert.Equal(body, response.Body);
        Assert.Single(response.Values("X-Kind"));

        // The server sent no Date: the balancer adds one (as Kestrel does), and no second one.
        Assert.Single(response.Values("Date"));
        switch (requestLine)
        {
            case "GET /length":
                Assert.Equal(["11"], response.Values("Content-Length"));
                break;
            case "GET /chunked":
                Assert.True(response.IsChunked, response.Head);
                Assert.Empty(response.Trailers);
                break;
            case "GET /close":
                // The server's close ends its body, not the client's connection: the balancer frames it itself.
                Assert.True(response.IsChunked, "a read-until-close body must reach a keep-alive client chunked:\n" + response.Head);
                break;
            case "HEAD /head":
                Assert.Equal(["1000"], response.Values("Content-Length"));
                break;
            case "GET /204":
            case "GET /304":
                Assert.DoesNotContain(response.Values("Content-Length"), v => v != "0");
                Assert.False(response.IsChunked, response.Head);
                break;
        }

        // The same client connection carries the next request: any stray body byte would be read here as its status line.
        await RawHttp.WriteAsync(stream, Get("/next"));
        var next = await ReadResponseAsync(stream);
        Assert.True(next.Status == 200 && next.Body == "ok", "the next request on the connection: " + next);
        await AssertServedByFrontEndAsync(balancer, requests: 2);
    }

    // ---------------------------------------------------------------- servers, routes, retries, reloads, load

    [Fact]
    public async Task Requests_on_one_connection_are_spread_over_the_farms_servers()
    {
        await using var a = await TestBackend.StartNamedAsync("a");
        await using var b = await TestBackend.StartNamedAsync("b");
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(a, b));
        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();

        var bodies = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            await RawHttp.WriteAsync(stream, Get($"/s{i}"));
            bodies.Add((await ReadResponseAsync(stream)).Body);
        }

        // Smooth round robin with equal weights alternates: each server takes every other request.
        Assert.Equal(5, bodies.Count(x => x == "a"));
        Assert.Equal(5, bodies.Count(x => x == "b"));
        Assert.Equal(5, a.Requests);
        Assert.Equal(5, b.Requests);
        await AssertServedByFrontEndAsync(balancer, requests: 10);
    }

    [Fact]
    public async Task A_refused_connection_is_retried_on_the_next_server()
    {
        await using var good = await TestBackend.StartNamedAsync("good");
        var config = TestBalancer.SingleFarm([RawHttp.ClosedPortAddress(), good.Address], f => f with
        {
            LoadBalancing = LoadBalancingAlgorithm.First,
            Retries = new RetryOptions { MaxAttempts = 2 },
        });
        await using var balancer = await TestBalancer.StartAsync(config);
        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();

        await RawHttp.WriteAsync(stream, Get("/r"));
        var response = await ReadResponseAsync(stream);

        Assert.True(response.Status == 200 && response.Body == "good", "expected the retry's answer, got " + response);
        Assert.Equal(1, balancer.Runtime.Farms["web"].Servers[0].Statistics.TransportFailures);
        await AssertServedByFrontEndAsync(balancer, requests: 1);
    }

    [Fact]
    public async Task Prefix_stripping_and_a_server_path_build_the_target_the_kestrel_path_builds()
    {
        string[] requests = ["/api/users?id=1", "/api", "/other/x?y=%20z"];

        async Task<List<string>> TargetsAsync(bool frontEnd)
        {
            var targets = new List<string>();
            await using var server = KeepAliveServer(async (stream, head, ct) =>
            {
                lock (targets)
                {
                    targets.Add(FirstLine(head));
                }

                await RawHttp.WriteAsync(stream, Ok);
                return true;
            });
            var config = new BalancerConfig
            {
                Http1FrontEnd = frontEnd,
                Farms = new Dictionary<string, FarmOptions> { ["web"] = new() { Servers = [new ServerOptions { Name = "web1", Address = server.Address + "/app/" }] } },
                Routes = [new RouteOptions { Path = "/api", StripPrefix = true, Farm = "web" }, new RouteOptions { Farm = "web" }],
            };
            await using var balancer = await TestBalancer.StartAsync(config);
            using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
            var stream = tcp.GetStream();
            foreach (var path in requests)
            {
                await RawHttp.WriteAsync(stream, Get(path));
                Assert.Equal("ok", (await ReadResponseAsync(stream)).Body);
            }

            Assert.Equal(frontEnd ? requests.Length : 0, balancer.Runtime.FrontEnd.Requests);
            lock (targets)
            {
                return [.. targets];
            }
        }

        var viaFrontEnd = await TargetsAsync(frontEnd: true);
        Assert.Equal("GET /app/users?id=1 HTTP/1.1", viaFrontEnd[0]);
        Assert.Equal(await TargetsAsync(frontEnd: false), viaFrontEnd);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Large_bodies_stream_through_intact(bool chunked)
    {
        const int size = 2 * 1024 * 1024;
        const int piece = 16 * 1024;
        var payload = new byte[size];
        for (var i = 0; i < size; i++)
        {
            payload[i] = (byte)('a' + ((i * 7 + (i >> 12)) % 26));
        }

        await using var backend = await TestBackend.StartAsync(async context =>
        {
            if (!chunked)
            {
                context.Response.ContentLength = size;
                await context.Response.Body.WriteAsync(payload);
                return;
            }

            // No length: Kestrel sends each flushed write as one chunk.
            for (var offset = 0; offset < size; offset += piece)
            {
                await context.Response.Body.WriteAsync(payload.AsMemory(offset, piece));
                await context.Response.Body.FlushAsync();
            }
        });
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));
        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();

        for (var i = 0; i < 2; i++)
        {
            await RawHttp.WriteAsync(stream, Get("/large" + i));
            var response = await ReadResponseAsync(stream);
            Assert.Equal(200, response.Status);
            Assert.Equal(chunked, response.IsChunked);
            Assert.True(response.Body.Length == size, $"got {response.Body.Length} of {size} bytes");
            Assert.True(Encoding.ASCII.GetBytes(response.Body).AsSpan().SequenceEqual(payload), "the body arrived altered");
        }

        await AssertServedByFrontEndAsync(balancer, requests: 2);
    }

    [Fact]
    public async Task Parallel_client_connections_each_get_their_own_answers()
    {
        const int connections = 8;
        const int perConnection = 25;
        await using var backend = await StartEchoAsync();
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));

        await Task.WhenAll(Enumerable.Range(0, connections).Select(c => Task.Run(async () =>
        {
            using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
            var stream = tcp.GetStream();
            for (var i = 0; i < perConnection; i++)
            {
                // Two at a time, pipelined, so that responses of different connections interleave in the balancer.
                await RawHttp.WriteAsync(stream, Get($"/c{c}/r{i}a") + Get($"/c{c}/r{i}b"));
                Assert.Equal($"GET /c{c}/r{i}a body=", (await ReadResponseAsync(stream)).Body);
                Assert.Equal($"GET /c{c}/r{i}b body=", (await ReadResponseAsync(stream)).Body);
            }
        }))).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(connections * perConnection * 2, backend.Requests);
        await AssertServedByFrontEndAsync(balancer, requests: connections * perConnection * 2);
    }

    [Fact]
    public async Task A_reload_that_needs_the_kestrel_path_hands_off_the_next_request_of_an_open_connection()
    {
        await using var backend = await StartEchoAsync();
        var config = TestBalancer.SingleFarm(backend);
        await using var balancer = await TestBalancer.StartAsync(config);
        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();

        await RawHttp.WriteAsync(stream, Get("/before"));
        Assert.Equal("GET /before body=", (await ReadResponseAsync(stream)).Body);
        await AssertServedByFrontEndAsync(balancer, requests: 1);

        // A farm without the direct path needs the Kestrel path: from now on that path must serve.
        balancer.Runtime.Apply(WithFarm(config, f => f with { DirectHttp1 = false }));
        await RawHttp.WriteAsync(stream, Get("/during"));
        Assert.Equal("GET /during body=", (await ReadResponseAsync(stream)).Body);
        await AssertCountersAsync(balancer, requests: 1, handOffs: 1);

        // Switched back: new connections are the front end's again.
        balancer.Runtime.Apply(config);
        using var tcp2 = await RawHttp.ConnectAsync(balancer.Uri);
        await RawHttp.WriteAsync(tcp2.GetStream(), Get("/after"));
        Assert.Equal("GET /after body=", (await ReadResponseAsync(tcp2.GetStream())).Body);
        await AssertCountersAsync(balancer, requests: 2, handOffs: 1);
    }

    // ---------------------------------------------------------------- 7: errors

    [Theory]
    [InlineData("refused", 502, "cannot connect to server 'broken1' in farm 'bad'")]
    [InlineData("silent", 504, "'broken1'")]
    [InlineData("garbage", 502, "'broken1'")]
    public async Task Upstream_failures_before_the_head_are_clear_errors_on_a_kept_connection(string kind, int status, string text)
    {
        await using var silent = RawHttp.NeverAnswers();
        await using var garbage = new RawHttp.Server(async (stream, ct) =>
        {
            await RawHttp.ReadHeadAsync(stream, ct);
            await RawHttp.WriteAsync(stream, "this is not HTTP at all\r\n\r\n");
            await Task.Delay(Timeout.Infinite, ct);
        });
        await using var good = await TestBackend.StartNamedAsync("good");
        var badAddress = kind switch
        {
            "refused" => RawHttp.ClosedPortAddress(),
            "silent" => silent.Address,
            _ => garbage.Address,
        };
        var config = BadAndGoodFarms(badAddress, good.Address, f => f with { Timeouts = new TimeoutOptions { ResponseHeaders = TimeSpan.FromMilliseconds(500) } });
        await using var balancer = await TestBalancer.StartAsync(config);
        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();

        await RawHttp.WriteAsync(stream, Get("/x"));
        var response = await ReadResponseAsync(stream);

        Assert.True(response.Status == status, $"{kind}: expected {status}, got {response}");
        Assert.Contains(text, response.Body);
        Assert.Contains(response.RequestId, response.Body);
        Assert.StartsWith("text/plain", Assert.Single(response.Values("Content-Type")));
        Assert.DoesNotContain(response.Values("Connection"), v => v.Contains("close", StringComparison.OrdinalIgnoreCase));

        await RawHttp.WriteAsync(stream, Get("/good/after"));
        var after = await ReadResponseAsync(stream);
        Assert.True(after.Status == 200 && after.Body == "good", "the next request on the connection: " + after);
        await AssertServedByFrontEndAsync(balancer, requests: 2);
    }

    [Fact]
    public async Task No_available_server_is_503_with_retry_after_on_a_kept_connection()
    {
        await using var backend = await StartEchoAsync();
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend));
        using (var offline = await balancer.Admin.PostAsync("/api/farms/web/servers/web1/offline", null))
        {
            Assert.True(offline.IsSuccessStatusCode, $"offline: {(int)offline.StatusCode}");
        }

        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();
        await RawHttp.WriteAsync(stream, Get("/x"));
        var response = await ReadResponseAsync(stream);

        Assert.True(response.Status == 503, "expected 503, got " + response);
        Assert.NotEmpty(Assert.Single(response.Values("Retry-After")));
        Assert.Contains("WebFarm: no available server in farm 'web'", response.Body);
        Assert.Contains(response.RequestId, response.Body);
        Assert.Equal(0, backend.Requests);

        using (var online = await balancer.Admin.PostAsync("/api/farms/web/servers/web1/online", null))
        {
            Assert.True(online.IsSuccessStatusCode, $"online: {(int)online.StatusCode}");
        }

        await RawHttp.WriteAsync(stream, Get("/y"));
        Assert.Equal("GET /y body=", (await ReadResponseAsync(stream)).Body);
        await AssertServedByFrontEndAsync(balancer, requests: 2);
    }

    [Fact]
    public async Task A_body_cut_short_after_the_head_went_out_closes_the_client_connection()
    {
        // The server closes only once the client has the head, so that a reset from the balancer cannot discard it unread.
        var clientGotHead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new RawHttp.Server(async (stream, ct) =>
        {
            await RawHttp.ReadHeadAsync(stream, ct);
            await RawHttp.WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
            await clientGotHead.Task.WaitAsync(Deadline, ct);
            stream.Socket.Shutdown(SocketShutdown.Both);
        });
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm([server.Address], NoRetries));
        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();

        await RawHttp.WriteAsync(stream, Get("/short"));
        var head = await RawHttp.ReadHeadAsync(stream).WaitAsync(Deadline);
        Assert.StartsWith("HTTP/1.1 200", head);
        Assert.Equal(100, RawHttp.ContentLength(head));
        clientGotHead.TrySetResult();

        // Only a close can tell the client that the body is incomplete; a keep-alive here would desynchronise it.
        var rest = await ReadUntilClosedAsync(stream, Deadline);
        Assert.True(rest.Length < 100, $"got {rest.Length} body bytes of a body the server cut at 10");

        // Served by the front end: the server got the request, and no connection was handed to Kestrel.
        Assert.Equal(1, server.Connections);
        Assert.Equal(0, balancer.Runtime.FrontEnd.HandOffs);
    }

    // ---------------------------------------------------------------- 8: header rules

    private const string HeaderRulesRequest =
        "GET /h?q=1 HTTP/1.1\r\nHost: shop.test\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nProxy-Authorization: Basic abc\r\n" +
        "TE: gzip\r\nX-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.test\r\n" +
        "X-Request-Id: client-chosen\r\nX-End-To-End: kept\r\nAccept: text/plain\r\n\r\n";

    /// <summary>Sends <paramref name="request"/> once through a balancer and returns the head the server got, the response, and the balancer's counters.</summary>
    private static async Task<(string Upstream, RawResponse Response, long Requests, long HandOffs, string ServerAuthority)> ForwardOnceAsync(Func<string, BalancerConfig> config, string request)
    {
        var captured = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = KeepAliveServer(async (stream, head, ct) =>
        {
            captured.TrySetResult(head);
            await RawHttp.WriteAsync(stream, Ok);
            return true;
        });
        var balancerConfig = config(server.Address);
        await using var balancer = await TestBalancer.StartAsync(balancerConfig);
        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();
        await RawHttp.WriteAsync(stream, request);
        var response = await ReadResponseAsync(stream);
        Assert.True(response.Status == 200, "expected 200, got " + response);
        var upstream = await captured.Task.WaitAsync(Deadline);
        if (balancerConfig.Http1FrontEnd)
        {
            await AssertServedByFrontEndAsync(balancer, requests: 1);
        }

        return (upstream, response, balancer.Runtime.FrontEnd.Requests, balancer.Runtime.FrontEnd.HandOffs, server.Uri.Authority);
    }

    /// <summary>Header lines as sorted "name: value" strings (names lower-cased; the request id's value, new per request, masked).</summary>
    private static List<string> Comparable(string head)
        => HeaderLines(head)
            .Select(h => h.Key.ToLowerInvariant() + ": " + (h.Key.Equals("X-Request-Id", StringComparison.OrdinalIgnoreCase) ? "(id)" : h.Value))
            .Order(StringComparer.Ordinal)
            .ToList();

    [Theory]
    [InlineData("untrusted-client")]
    [InlineData("trusted-proxy")]
    [InlineData("server-host")]
    public async Task Request_headers_follow_the_forwarding_rules_as_the_kestrel_path_does(string scenario)
    {
        BalancerConfig Config(string address, bool frontEnd)
        {
            var config = TestBalancer.SingleFarm([address], f => scenario == "server-host" ? f with { PreserveHost = false } : f) with { Http1FrontEnd = frontEnd };
            return scenario == "trusted-proxy" ? config with { TrustedProxies = ["127.0.0.1/32"] } : config;
        }

        var (upstream, response, _, _, authority) = await ForwardOnceAsync(a => Config(a, frontEnd: true), HeaderRulesRequest);
        var headers = HeaderLines(upstream);

        Assert.Equal("GET /h?q=1 HTTP/1.1", FirstLine(upstream));
        Assert.Equal([scenario == "server-host" ? authority : "shop.test"], Values(headers, "Host"));
        Assert.Equal([scenario == "trusted-proxy" ? "203.0.113.7, 127.0.0.1" : "127.0.0.1"], Values(headers, "X-Forwarded-For"));
        if (scenario != "trusted-proxy")
        {
            Assert.Equal(["http"], Values(headers, "X-Forwarded-Proto"));
            Assert.Equal(["shop.test"], Values(headers, "X-Forwarded-Host"));
        }

        Assert.Equal([response.RequestId], Values(headers, "X-Request-Id"));
        Assert.Equal(["client-chosen"], Values(headers, "X-Original-Request-Id"));
        Assert.Equal(["kept"], Values(headers, "X-End-To-End"));
        Assert.Equal(["text/plain"], Values(headers, "Accept"));
        foreach (var hopByHop in new[] { "Keep-Alive", "Proxy-Authorization", "TE", "Transfer-Encoding", "Content-Length" })
        {
            Assert.True(Values(headers, hopByHop).Count == 0, $"'{hopByHop}' must not reach the server:\n{upstream}");
        }

        Assert.All(Values(headers, "Connection"), v => Assert.Equal("keep-alive", v, ignoreCase: true));

        // The Kestrel path (front end off) sends the server the same header set for the same request.
        var (kestrelUpstream, _, kestrelRequests, _, kestrelAuthority) = await ForwardOnceAsync(a => Config(a, frontEnd: false), HeaderRulesRequest);
        Assert.Equal(0, kestrelRequests);
        Assert.Equal(
            Comparable(kestrelUpstream.Replace(kestrelAuthority, "(server)", StringComparison.Ordinal)),
            Comparable(upstream.Replace(authority, "(server)", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Response_headers_keep_repeated_set_cookie_and_drop_hop_by_hop_ones()
    {
        await using var server = KeepAliveServer(async (stream, head, ct) =>
        {
            await RawHttp.WriteAsync(stream,
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive, X-Resp-Hop\r\nX-Resp-Hop: 1\r\nKeep-Alive: timeout=5, max=100\r\n" +
                "Proxy-Authenticate: Basic\r\nProxy-Connection: keep-alive\r\nSet-Cookie: a=1; Path=/\r\nSet-Cookie: b=2; HttpOnly\r\nX-Kept: yes\r\n\r\nok");
            return true;
        });
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm([server.Address]));
        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();

        await RawHttp.WriteAsync(stream, Get("/cookies"));
        var response = await ReadResponseAsync(stream);

        Assert.Equal("ok", response.Body);
        Assert.Equal(["a=1; Path=/", "b=2; HttpOnly"], response.Values("Set-Cookie"));
        Assert.Equal(["yes"], response.Values("X-Kept"));
        foreach (var hopByHop in new[] { "Keep-Alive", "Proxy-Authenticate", "Proxy-Connection", "X-Resp-Hop" })
        {
            Assert.True(response.Values(hopByHop).Count == 0, $"'{hopByHop}' must not reach the client:\n{response.Head}");
        }

        Assert.DoesNotContain(response.Values("Connection"), v => v.Contains("X-Resp-Hop", StringComparison.OrdinalIgnoreCase));
        await AssertServedByFrontEndAsync(balancer, requests: 1);
    }

    // ---------------------------------------------------------------- 9: client timeouts

    [Fact]
    public async Task An_idle_client_connection_is_closed_after_the_keep_alive_timeout()
    {
        await using var backend = await StartEchoAsync();
        await using var balancer = await TestBalancer.StartAsync(
            TestBalancer.SingleFarm(backend),
            host: o => o with { ClientKeepAliveTimeout = TimeSpan.FromSeconds(1) });

        // Idle after a request the front end served.
        using (var tcp = await RawHttp.ConnectAsync(balancer.Uri))
        {
            var stream = tcp.GetStream();
            await RawHttp.WriteAsync(stream, Get("/once"));
            Assert.Equal("GET /once body=", (await ReadResponseAsync(stream)).Body);
            Assert.Equal(string.Empty, await ReadUntilClosedAsync(stream, TimeSpan.FromSeconds(10)));
            await AssertServedByFrontEndAsync(balancer, requests: 1);
        }

        // Idle from the start.
        using (var tcp = await RawHttp.ConnectAsync(balancer.Uri))
        {
            Assert.Equal(string.Empty, await ReadUntilClosedAsync(tcp.GetStream(), TimeSpan.FromSeconds(10)));
        }
    }

    [Fact]
    public async Task A_client_stuck_half_way_through_its_head_gets_408_or_a_close()
    {
        await using var backend = await StartEchoAsync();
        await using var balancer = await TestBalancer.StartAsync(
            TestBalancer.SingleFarm(backend),
            host: o => o with { ClientRequestHeadersTimeout = TimeSpan.FromSeconds(1) });
        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();

        await RawHttp.WriteAsync(stream, "GET /half HTTP/1.1\r\nHost: t\r\n");
        var received = await ReadUntilClosedAsync(stream, TimeSpan.FromSeconds(10));

        Assert.True(received.Length == 0 || received.StartsWith("HTTP/1.1 408", StringComparison.Ordinal), "expected 408 or a close, got: " + received);
        Assert.Equal(0, backend.Requests);
    }

    // ---------------------------------------------------------------- 10-11: clients that leave, graceful stop

    // false: the server would wait forever, so only the balancer cancelling the upstream request ends it (as the
    // Kestrel path does). true: the server answers after the client left, into a connection that is gone.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_client_that_leaves_while_the_server_thinks_costs_the_server_nothing(bool serverAnswersLater)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var upstreamCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            if (context.Request.Path == "/think")
            {
                started.TrySetResult();
                var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                using (context.RequestAborted.Register(() => aborted.TrySetResult()))
                {
                    await Task.WhenAny(release.Task, aborted.Task);
                }

                if (context.RequestAborted.IsCancellationRequested)
                {
                    upstreamCancelled.TrySetResult();
                    return;
                }
            }

            context.Response.ContentLength = 4;
            await context.Response.WriteAsync("done");
        });

        // One passive failure would take the server out of rotation: a client leaving must not count as one.
        var config = TestBalancer.SingleFarm([backend.Address], f => NoRetries(f) with
        {
            PassiveHealth = new PassiveHealthOptions { MaxFailures = 1, Window = TimeSpan.FromSeconds(30), ReactivationPeriod = TimeSpan.FromSeconds(60) },
        });
        await using var balancer = await TestBalancer.StartAsync(config);
        var server = balancer.Runtime.Farms["web"].Servers[0];
        try
        {
            using (var tcp = await RawHttp.ConnectAsync(balancer.Uri))
            {
                await RawHttp.WriteAsync(tcp.GetStream(), Get("/think"));
                await started.Task.WaitAsync(Deadline);
                Assert.Equal(1, server.InFlight);

                // A reset: the client is gone for sure (a FIN alone is a half-close, still answered: HostileRequestTests).
                RawHttp.Reset(tcp);
            }

            if (serverAnswersLater)
            {
                release.TrySetResult();
            }
            else
            {
                await upstreamCancelled.Task.WaitAsync(Deadline);
            }

            await Eventually.True(() => server.InFlight == 0, Deadline, "the abandoned request ends");
            Assert.Equal(0, server.Statistics.TransportFailures);
            Assert.True(server.Healthy, "a client leaving marked the server failed");
            Assert.Equal(0, balancer.Runtime.FrontEnd.HandOffs);

            using var again = await RawHttp.ConnectAsync(balancer.Uri);
            await RawHttp.WriteAsync(again.GetStream(), Get("/after"));
            Assert.Equal("done", (await ReadResponseAsync(again.GetStream())).Body);
            Assert.Equal(0, balancer.Runtime.FrontEnd.HandOffs);
        }
        finally
        {
            release.TrySetResult();
        }
    }

    [Fact]
    public async Task A_request_in_flight_when_the_balancer_stops_completes_and_idle_connections_close()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var payload = new string('z', 64 * 1024);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            if (context.Request.Path == "/slow")
            {
                started.TrySetResult();
                await release.Task.WaitAsync(Deadline);
            }

            context.Response.ContentLength = payload.Length;
            await context.Response.WriteAsync(payload);
        });

        // A shutdown timeout far beyond the waits below: connections must close because the front end ends them once
        // they are idle, not because the stop gave up and aborted them.
        var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend), host: o => o with { ShutdownTimeout = TimeSpan.FromSeconds(60) });
        try
        {
            using var idle = await RawHttp.ConnectAsync(balancer.Uri);
            await RawHttp.WriteAsync(idle.GetStream(), Get("/warm"));
            Assert.Equal(payload, (await ReadResponseAsync(idle.GetStream())).Body);

            using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
            var stream = tcp.GetStream();
            await RawHttp.WriteAsync(stream, Get("/slow"));
            await started.Task.WaitAsync(Deadline);

            var stopping = balancer.DisposeAsync().AsTask();

            // Released only once the stop is under way (the listener no longer accepts), so the answer is sent during it.
            await Eventually.True(async () => !await CanConnectAsync(balancer.Uri), Deadline, "the balancer stopped accepting connections");
            Assert.Equal(string.Empty, await ReadUntilClosedAsync(idle.GetStream(), Deadline));
            Assert.False(stopping.IsCompleted, "the stop finished while a request was in flight");
            release.TrySetResult();

            var response = await ReadResponseAsync(stream);
            Assert.Equal(200, response.Status);
            Assert.Equal(payload, response.Body);
            Assert.Equal(string.Empty, await ReadUntilClosedAsync(stream, Deadline));
            await stopping.WaitAsync(Deadline);
            await AssertServedByFrontEndAsync(balancer, requests: 2);
        }
        finally
        {
            release.TrySetResult();
            await balancer.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_handed_off_request_still_sending_its_body_when_the_balancer_stops_completes()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            if (context.Request.Path == "/upload")
            {
                started.TrySetResult();
                var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
                await context.Response.WriteAsync("got:" + body);
                return;
            }

            await context.Response.WriteAsync("warm");
        });
        var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend), host: o => o with { ShutdownTimeout = TimeSpan.FromSeconds(60) });
        try
        {
            // A front-end connection left idle: its close shows that the stop has told every connection to finish.
            using var idle = await RawHttp.ConnectAsync(balancer.Uri);
            await RawHttp.WriteAsync(idle.GetStream(), Get("/warm"));
            Assert.Equal("warm", (await ReadResponseAsync(idle.GetStream())).Body);

            // A POST is handed to Kestrel, which is still reading its body when the stop begins.
            using var upload = await RawHttp.ConnectAsync(balancer.Uri);
            var stream = upload.GetStream();
            await RawHttp.WriteAsync(stream, "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n12345");
            await started.Task.WaitAsync(Deadline);

            var stopping = balancer.DisposeAsync().AsTask();
            await Eventually.True(async () => !await CanConnectAsync(balancer.Uri), Deadline, "the balancer stopped accepting connections");
            Assert.Equal(string.Empty, await ReadUntilClosedAsync(idle.GetStream(), Deadline));

            // The front end's stop signal must not reach a connection it handed off: Kestrel finishes the request.
            await RawHttp.WriteAsync(stream, "67890");
            var response = await ReadResponseAsync(stream);
            Assert.Equal(200, response.Status);
            Assert.Equal("got:1234567890", response.Body);
            await stopping.WaitAsync(Deadline);
        }
        finally
        {
            await balancer.DisposeAsync();
        }
    }
}
