using System.Text;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Rewrite;

/// <summary>
/// One balancer for the rewrite tests: every route with rules twice, once to a farm on the direct HTTP/1.1 path (any
/// host) and once, for the host "handler.test", to a farm on SocketsHttpHandler (DirectHttp1 off), each in front of a
/// <see cref="RecordingBackend"/> that records the exact bytes it receives. Tests find their request by its X-Case header.
/// </summary>
public sealed class RewriteFarm : IAsyncLifetime
{
    public const string HandlerHost = "handler.test";

    private static readonly byte[] Response = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Powered-By: php\r\nX-Backend: recording\r\n\r\nok");

    public RecordingBackend Direct { get; } = new(_ => Response);

    public RecordingBackend Handler { get; } = new(_ => Response);

    public TestBalancer Balancer { get; private set; } = null!;

    public static IReadOnlyList<RouteOptions> RuleRoutes { get; } =
    [
        Route("/cap", new RewriteRuleOptions { Match = @"^/cap/(\d+)/(?<slug>[a-z-]+)$", Rewrite = "/items/$1?slug=${slug}" }),
        Route(
            "/order",
            new RewriteRuleOptions { Match = "^/order/a(.*)$", Rewrite = "/order/b$1" },
            new RewriteRuleOptions { Match = "^/order/b(.*)$", Rewrite = "/order/c$1", Stop = true },
            new RewriteRuleOptions { Match = "^/order/c(.*)$", Rewrite = "/order/never$1" }),
        Route(
            "/redir",
            new RewriteRuleOptions { Match = "^/redir/301/(.*)$", Redirect = "https://new.example.com/$1", Status = 301 },
            new RewriteRuleOptions { Match = "^/redir/302/(.*)$", Redirect = "/moved/$1" },
            new RewriteRuleOptions { Match = "^/redir/307/(.*)$", Redirect = "/temp/$1", Status = 307, AppendQuery = false },
            new RewriteRuleOptions { Match = "^/redir/308/(.*)$", Redirect = "/perm/$1?v=2", Status = 308 }),
        Route(
            "/hdr",
            new RewriteRuleOptions
            {
                Match = "^/hdr/(.*)$",
                SetRequestHeaders = new Dictionary<string, string> { ["X-Item"] = "item-$1" },
                RemoveRequestHeaders = ["X-Secret"],
                SetResponseHeaders = new Dictionary<string, string> { ["X-Frame-Options"] = "DENY", ["X-Backend"] = "hidden" },
                RemoveResponseHeaders = ["X-Powered-By"],
            }),
        Route(
            "/q",
            new RewriteRuleOptions
            {
                Match = "^/q/(.*)$",
                RemoveQuery = ["utm_source"],
                SetQuery = new Dictionary<string, string> { ["lang"] = "en" },
                AddQuery = new Dictionary<string, string> { ["from"] = "$1" },
            }),
        Route("/tq", new RewriteRuleOptions { Match = "^/tq/(.*)$", Rewrite = "/t?id=$1" }),
        Route("/noappend", new RewriteRuleOptions { Match = "^/noappend/(.*)$", Rewrite = "/n/$1", AppendQuery = false }),
        Route("/strip", new RewriteRuleOptions { Match = "^/strip/(.*)$", SetQuery = new Dictionary<string, string> { ["v"] = "$1" } }) with { StripPrefix = true },
        Route("/evil", new RewriteRuleOptions { Match = "^/evil/(.*)$", Rewrite = "/safe/$1" }),
        Route("/evilhdr", new RewriteRuleOptions { Match = "^/evilhdr/(.*)$", SetRequestHeaders = new Dictionary<string, string> { ["X-From"] = "$1" } }),
        Route("/evilresp", new RewriteRuleOptions { Match = "^/evilresp/(.*)$", SetResponseHeaders = new Dictionary<string, string> { ["X-From"] = "$1" } }),
        Route(
            "/cond",
            new RewriteRuleOptions
            {
                Match = "^/cond/",
                Host = @"^api\.",
                Headers = new Dictionary<string, string> { ["X-Beta"] = "^on$" },
                SetRequestHeaders = new Dictionary<string, string> { ["X-Cond"] = "yes" },
            }),

        // "^(a+)+$" against "aaa…a!" takes exponential time on a backtracking engine; a linear one answers at once.
        Route("/slow", new RewriteRuleOptions { Match = "^/slow/(a+)+$", Rewrite = "/fast" }),
    ];

    public async Task InitializeAsync()
    {
        var routes = new List<RouteOptions> { new() { Farm = "direct" } };
        foreach (var route in RuleRoutes)
        {
            routes.Add(route with { Farm = "direct" });
            routes.Add(route with { Farm = "handler", Host = HandlerHost });
        }

        Balancer = await TestBalancer.StartAsync(new BalancerConfig
        {
            Farms = new Dictionary<string, FarmOptions>
            {
                ["direct"] = new() { Servers = [new ServerOptions { Name = "direct1", Address = Direct.Address }] },
                ["handler"] = new() { DirectHttp1 = false, Servers = [new ServerOptions { Name = "handler1", Address = Handler.Address }] },
            },
            Routes = routes,
        });
    }

    public async Task DisposeAsync()
    {
        await Balancer.DisposeAsync();
        await Direct.DisposeAsync();
        await Handler.DisposeAsync();
    }

    /// <summary>The request the backend of <paramref name="host"/>'s farm received with this X-Case, or null.</summary>
    public ReceivedRequest? Received(string host, string testCase)
        => (host == HandlerHost ? Handler : Direct).Requests.SingleOrDefault(r => r.Values("X-Case").Contains(testCase));

    /// <summary>Sends <paramref name="target"/> as it is (HttpClient would not send some targets byte for byte) with a fresh X-Case.</summary>
    public async Task<(HttpResponseMessage Response, string Case)> SendAsync(string host, string target, params (string Name, string Value)[] headers)
    {
        var testCase = Guid.NewGuid().ToString("N");
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Balancer.Uri, target));
        request.Headers.Host = host;
        request.Headers.Add("X-Case", testCase);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return (await Balancer.Client.SendAsync(request), testCase);
    }

    private static RouteOptions Route(string path, params RewriteRuleOptions[] rules) => new() { Farm = "direct", Path = path, Rewrite = rules };
}
