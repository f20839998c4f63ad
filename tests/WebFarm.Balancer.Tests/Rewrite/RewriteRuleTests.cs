using System.Net;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Rewrite;

/// <summary>
/// URL rewrite rules end to end over real sockets, on both upstream paths (the direct HTTP/1.1 path and
/// SocketsHttpHandler): captures, rule order and Stop, each redirect status, request and response headers, query
/// parameters, conditions, and the hostile cases (a CR/LF in a capture, a catastrophic-backtracking pattern).
/// </summary>
public sealed class RewriteRuleTests(RewriteFarm farm) : IClassFixture<RewriteFarm>
{
    private const string Direct = "direct.test";

    public static TheoryData<string, string, string> Rewrites()
    {
        var cases = new (string Target, string Upstream)[]
        {
            ("/cap/42/red-shoe?x=1", "/items/42?slug=red-shoe&x=1"), // numbered and named captures, the client's query appended
            ("/cap/7/Blue", "/items/7?slug=Blue"), // IgnoreCase is on by default
            ("/cap/none?x=%2B", "/cap/none?x=%2B"), // no rule matched: the client's target byte for byte
            ("/order/a1", "/order/c1"), // a rewrite feeds the next rule, which stops
            ("/order/b2", "/order/c2"),
            ("/order/c3", "/order/never3"),
            ("/q/src?utm_source=mail&lang=de&x=1&utm_source=again", "/q/src?lang=en&x=1&from=src"), // remove all, set in place, add
            ("/q/a%20b?x=1", "/q/a%20b?x=1&lang=en&from=a%20b"), // a decoded capture is encoded again in a query value
            ("/tq/5?a=1", "/t?id=5&a=1"),
            ("/noappend/x?a=1", "/n/x"),
            ("/strip/x?a=1", "/x?a=1&v=x"), // a query-only rule keeps the route's stripped path
            ("/slow/" + new string('a', 40) + "?z=1", "/fast?z=1"),
        };
        var data = new TheoryData<string, string, string>();
        foreach (var host in new[] { Direct, RewriteFarm.HandlerHost })
        {
            foreach (var (target, upstream) in cases)
            {
                data.Add(host, target, upstream);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Rewrites))]
    public async Task The_server_gets_the_rewritten_target(string host, string target, string upstream)
    {
        var (response, testCase) = await farm.SendAsync(host, target);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.IsType<ReceivedRequest>(farm.Received(host, testCase));
        Assert.Equal($"GET {upstream} HTTP/1.1", received.RequestLine);
    }

    [Theory]
    [InlineData("/redir/301/a/b?q=1", 301, "https://new.example.com/a/b?q=1")]
    [InlineData("/redir/302/x", 302, "/moved/x")]
    [InlineData("/redir/307/x?q=1", 307, "/temp/x")]
    [InlineData("/redir/308/x?q=1", 308, "/perm/x?v=2&q=1")]
    [InlineData("/redir/302/a%20b/%C3%A9", 302, "/moved/a%20b/%C3%A9")]
    public async Task A_redirect_is_answered_by_the_balancer(string target, int status, string location)
    {
        foreach (var host in new[] { Direct, RewriteFarm.HandlerHost })
        {
            var (response, testCase) = await farm.SendAsync(host, target);

            Assert.Equal(status, (int)response.StatusCode);
            Assert.Equal(location, response.Headers.Location?.OriginalString);
            Assert.Null(farm.Received(host, testCase));
        }
    }

    [Theory]
    [InlineData(Direct)]
    [InlineData(RewriteFarm.HandlerHost)]
    public async Task Headers_are_set_and_removed_in_both_directions(string host)
    {
        var (response, testCase) = await farm.SendAsync(host, "/hdr/42", ("X-Secret", "s3cret"), ("X-Keep", "kept"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.IsType<ReceivedRequest>(farm.Received(host, testCase));
        Assert.Equal(["item-42"], received.Values("X-Item"));
        Assert.Empty(received.Values("X-Secret"));
        Assert.Equal(["kept"], received.Values("X-Keep"));

        Assert.Equal(["DENY"], response.Headers.GetValues("X-Frame-Options"));
        Assert.Equal(["hidden"], response.Headers.GetValues("X-Backend"));
        Assert.False(response.Headers.Contains("X-Powered-By"));
    }

    [Theory]
    [InlineData("api.example.com", "on", true)]
    [InlineData("api.example.com", "off", false)]
    [InlineData("api.example.com", null, false)]
    [InlineData("www.example.com", "on", false)]
    public async Task Host_and_header_conditions_decide_whether_a_rule_applies(string host, string? beta, bool applies)
    {
        var (response, testCase) = beta is null ? await farm.SendAsync(host, "/cond/x") : await farm.SendAsync(host, "/cond/x", ("X-Beta", beta));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.IsType<ReceivedRequest>(farm.Received(host, testCase));
        Assert.Equal(applies ? new List<string> { "yes" } : [], received.Values("X-Cond"));
    }

    /// <summary>
    /// A capture holds the decoded path, so "%0d%0a" is a real CR LF in it: in the rewritten path it must be encoded
    /// again (one request reaches the server, with no injected header), and a header built from it is refused.
    /// </summary>
    [Theory]
    [InlineData(Direct)]
    [InlineData(RewriteFarm.HandlerHost)]
    public async Task A_crlf_in_a_capture_never_splits_the_request(string host)
    {
        const string Smuggle = "a%0d%0aX-Injected:%20yes%0d%0a%0d%0aGET%20/smuggled%20HTTP/1.1";
        var backend = host == RewriteFarm.HandlerHost ? farm.Handler : farm.Direct;
        var before = backend.Requests.Count;

        var (status, head, testCase) = await SendRawAsync(host, "/evil/" + Smuggle);

        Assert.Equal(200, status);
        var received = Assert.IsType<ReceivedRequest>(farm.Received(host, testCase));
        Assert.Equal("GET /safe/a%0D%0AX-Injected:%20yes%0D%0A%0D%0AGET%20/smuggled%20HTTP/1.1 HTTP/1.1", received.RequestLine);
        Assert.Empty(received.Values("X-Injected"));
        Assert.Null(received.FramingError);

        (status, head, testCase) = await SendRawAsync(host, "/evilhdr/" + Smuggle);
        Assert.Equal(400, status);
        Assert.Null(farm.Received(host, testCase));

        (status, head, testCase) = await SendRawAsync(host, "/evilresp/" + Smuggle);
        Assert.Equal(400, status);
        Assert.DoesNotContain("X-Injected", head, StringComparison.OrdinalIgnoreCase);
        Assert.Null(farm.Received(host, testCase));

        (status, head, _) = await SendRawAsync(host, "/redir/302/" + Smuggle);
        Assert.Equal(302, status);
        Assert.Contains("\r\nLocation: /moved/a%0D%0AX-Injected:%20yes%0D%0A%0D%0AGET%20/smuggled%20HTTP/1.1\r\n", head, StringComparison.Ordinal);
        Assert.DoesNotContain("\r\nX-Injected", head, StringComparison.OrdinalIgnoreCase);

        Assert.DoesNotContain(backend.Requests.Skip(before), r => r.RequestLine.Contains("/smuggled HTTP", StringComparison.Ordinal));
        Assert.Equal(before + 1, backend.Requests.Count);
    }

    /// <summary>
    /// "^/slow/(a+)+$" against 4000 'a's and a '!' would backtrack for longer than the universe has left; the
    /// linear-time engine answers like any other path (the rule does not match, the path goes unchanged). The bound
    /// is the client's timeout, not a timing assertion.
    /// </summary>
    [Theory]
    [InlineData(Direct)]
    [InlineData(RewriteFarm.HandlerHost)]
    public async Task A_pathological_path_does_not_backtrack(string host)
    {
        var target = "/slow/" + new string('a', 4000) + "!";

        var (response, testCase) = await farm.SendAsync(host, target);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.IsType<ReceivedRequest>(farm.Received(host, testCase));
        Assert.Equal($"GET {target} HTTP/1.1", received.RequestLine);
    }

    /// <summary>
    /// The rules read and change the parsed request, so their routes are Kestrel's; other routes keep the front end.
    /// Its own balancer, so that no other request of the class moves the front end's counters.
    /// </summary>
    [Fact]
    public async Task Routes_with_rules_are_handed_to_kestrel_and_others_stay_on_the_front_end()
    {
        await using var balancer = await TestBalancer.StartAsync(new BalancerConfig
        {
            Farms = new Dictionary<string, FarmOptions> { ["direct"] = new() { Servers = [new ServerOptions { Name = "direct1", Address = farm.Direct.Address }] } },
            Routes = [new RouteOptions { Farm = "direct" }, RewriteFarm.RuleRoutes.Single(r => r.Path == "/tq")],
        });
        var frontEnd = balancer.Runtime.FrontEnd;
        string Counters() => $"requests {frontEnd.Requests}, hand-offs {frontEnd.HandOffs}";

        var (status, _, _) = await SendRawAsync(balancer, Direct, "/plain");
        Assert.Equal(200, status);
        await WaitForAsync(() => frontEnd.Requests == 1, Counters);
        Assert.Equal(0, frontEnd.HandOffs);

        (status, _, _) = await SendRawAsync(balancer, Direct, "/tq/1");
        Assert.Equal(200, status);
        await WaitForAsync(() => frontEnd.HandOffs == 1, Counters);
        Assert.Equal(1, frontEnd.Requests);
    }

    private static async Task WaitForAsync(Func<bool> condition, Func<string> state)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the front end's counters did not reach the expected values: " + state());
            await Task.Delay(20);
        }
    }

    /// <summary>A target sent byte for byte over a raw connection; returns the status, the response head and the case id.</summary>
    private Task<(int Status, string Head, string Case)> SendRawAsync(string host, string target) => SendRawAsync(farm.Balancer, host, target);

    private static async Task<(int Status, string Head, string Case)> SendRawAsync(TestBalancer balancer, string host, string target)
    {
        var testCase = Guid.NewGuid().ToString("N");
        using var client = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = client.GetStream();
        await RawHttp.WriteAsync(stream, $"GET {target} HTTP/1.1\r\nHost: {host}\r\nX-Case: {testCase}\r\nConnection: close\r\n\r\n");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var head = await RawHttp.ReadHeadAsync(stream, timeout.Token);
        return (int.Parse(head.AsSpan(9, 3), provider: System.Globalization.CultureInfo.InvariantCulture), head, testCase);
    }
}
