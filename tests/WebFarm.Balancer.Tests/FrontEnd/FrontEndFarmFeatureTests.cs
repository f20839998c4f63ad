using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Events;
using WebFarm.Balancer.LoadBalancing;
using WebFarm.Balancer.Tests.Infrastructure;
using static WebFarm.Balancer.Tests.Infrastructure.RawHttp;

namespace WebFarm.Balancer.Tests.FrontEnd;

/// <summary>
/// A realistic farm (cookie or client-address affinity, active and passive health, the access log) takes the front
/// end's fast path, and behaves exactly as on Kestrel's path. Each scenario runs twice, on a balancer with the front
/// end and on one without (<c>"Http1FrontEnd": false</c>); the front end's counters prove which path served, and the
/// observed behaviour (which server answered, the cookies issued, what health did, the log line) must be equal.
/// </summary>
public sealed partial class FrontEndFarmFeatureTests
{
    private static readonly string AffinityKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>A raw HTTP/1.1 client that counts what it sends, optionally from another loopback source address.</summary>
    private sealed class Probe(TestBalancer balancer)
    {
        public int Sent { get; private set; }

        public async Task<RawResponse> GetAsync(string path, string extraHeaders = "", string? from = null)
        {
            using var tcp = new TcpClient(from is null ? AddressFamily.InterNetwork : IPAddress.Parse(from).AddressFamily);
            if (from is not null)
            {
                tcp.Client.Bind(new IPEndPoint(IPAddress.Parse(from), 0));
            }

            await tcp.ConnectAsync(balancer.Uri.Host, balancer.Uri.Port);
            var stream = tcp.GetStream();
            await WriteAsync(stream, $"GET {path} HTTP/1.1\r\nHost: farm.test\r\n{extraHeaders}\r\n");
            Sent++;
            return await ReadResponseAsync(stream);
        }
    }

    /// <summary>
    /// Runs <paramref name="observe"/> on a balancer with the front end and on one without, checks that the first was
    /// served by the front end alone and the second by Kestrel alone, and returns both observations.
    /// </summary>
    private static async Task<(T FrontEnd, T Kestrel)> OnBothPathsAsync<T>(BalancerConfig config, Func<TestBalancer, Probe, Task<T>> observe, ILoggerFactory? loggerFactory = null)
    {
        var results = new T[2];
        foreach (var frontEnd in new[] { true, false })
        {
            await using var balancer = await TestBalancer.StartAsync(config with { Http1FrontEnd = frontEnd }, loggerFactory: loggerFactory);
            var probe = new Probe(balancer);
            results[frontEnd ? 0 : 1] = await observe(balancer, probe);
            var counters = balancer.Runtime.FrontEnd;
            if (frontEnd)
            {
                // Every request, none handed to Kestrel. A counter moves just after the response's last byte: wait for it.
                await Eventually.True(() => counters.Requests == probe.Sent, TimeSpan.FromSeconds(5), $"the front end served {counters.Requests} of {probe.Sent} requests");
                Assert.Equal(0, counters.HandOffs);
            }
            else
            {
                Assert.Equal(0, counters.Requests);
            }
        }

        return (results[0], results[1]);
    }

    private static Task<TestBackend[]> NamedBackendsAsync(int count)
        => Task.WhenAll(Enumerable.Range(1, count).Select(i => TestBackend.StartNamedAsync("web" + i)));

    private static async Task DisposeAllAsync(TestBackend[] backends)
    {
        foreach (var backend in backends)
        {
            await backend.DisposeAsync();
        }
    }

    /// <summary>
    /// Observations of "key -> servers" lines: each key always went to one server, the front end's choices equal
    /// Kestrel's, and the keys are spread over more than one server (so equality is not trivial).
    /// </summary>
    private static void AssertStickyAndSpreadAlike(string frontEnd, string kestrel)
    {
        Assert.DoesNotContain(",", frontEnd, StringComparison.Ordinal);
        Assert.Equal(kestrel, frontEnd);
        Assert.True(frontEnd.Split('\n').Select(l => l[(l.IndexOf('>', StringComparison.Ordinal) + 2)..]).Distinct().Count() > 1, frontEnd);
    }

    private static string Backend(RawResponse response) => Assert.Single(response.Values("X-Backend"));

    /// <summary>The affinity cookie's Set-Cookie line, or null when the response set none.</summary>
    private static string? AffinityCookie(RawResponse response)
        => response.Values("Set-Cookie").SingleOrDefault(c => c.StartsWith("WebFarmAffinity=", StringComparison.Ordinal));

    private static string CookieValue(string setCookie) => setCookie["WebFarmAffinity=".Length..setCookie.IndexOf(';', StringComparison.Ordinal)];

    [Fact]
    public async Task Cookie_affinity_is_served_by_the_front_end_and_binds_validates_and_sticks_as_kestrel_does()
    {
        var backends = await NamedBackendsAsync(3);
        try
        {
            var config = TestBalancer.SingleFarm(backends.Select(b => b.Address), f => f with
            {
                Affinity = new AffinityOptions { Mode = AffinityMode.Cookie, Key = AffinityKey, CookieLifetime = TimeSpan.FromHours(1) },
            });

            var (frontEnd, kestrel) = await OnBothPathsAsync(config, async (balancer, probe) =>
            {
                var observed = new List<string>();

                // New clients: each server once (round robin), each answer binding the client to the server that gave it.
                var issued = new Dictionary<string, string>();
                for (var i = 0; i < backends.Length; i++)
                {
                    var response = await probe.GetAsync("/new");
                    var setCookie = AffinityCookie(response);
                    Assert.NotNull(setCookie);
                    issued[Backend(response)] = setCookie;
                }

                foreach (var (server, setCookie) in issued.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    observed.Add($"{server} issued {setCookie}");

                    // A client holding the cookie comes back to its server and is not sent the cookie again.
                    for (var i = 0; i < 3; i++)
                    {
                        var back = await probe.GetAsync("/back", $"Cookie: other=1; WebFarmAffinity={CookieValue(setCookie)}\r\n");
                        observed.Add($"{server} -> {Backend(back)} set-cookie={AffinityCookie(back) ?? "none"}");
                    }
                }

                // A forged cookie (the MAC of another server's value with the name changed) binds nobody: the client is
                // balanced as new and gets a genuine cookie.
                var genuine = CookieValue(issued["web1"]);
                var forged = "d2ViMg" + genuine[genuine.IndexOf('.', StringComparison.Ordinal)..];
                var refused = await probe.GetAsync("/forged", $"Cookie: WebFarmAffinity={forged}\r\n");
                var reissued = AffinityCookie(refused);
                Assert.NotNull(reissued);
                observed.Add($"forged -> cookie for {Backend(refused)}: {reissued == issued[Backend(refused)]}");
                return string.Join("\n", observed);
            });

            Assert.Contains("web2 -> web2 set-cookie=none", frontEnd, StringComparison.Ordinal);
            Assert.Contains("forged -> cookie for ", frontEnd, StringComparison.Ordinal);
            Assert.Contains(": True", frontEnd, StringComparison.Ordinal);
            Assert.Contains("max-age=3600; path=/; samesite=lax; httponly", frontEnd, StringComparison.Ordinal);
            Assert.Equal(kestrel, frontEnd);
        }
        finally
        {
            await DisposeAllAsync(backends);
        }
    }

    [Fact]
    public async Task The_affinity_cookie_goes_out_next_to_the_servers_own_cookies_on_both_paths()
    {
        await using var backend = await TestBackend.StartAsync(c =>
        {
            c.Response.Headers.Append("Set-Cookie", "app=1; path=/");
            c.Response.Headers.Append("Set-Cookie", "theme=dark; path=/");
            return c.Response.WriteAsync("ok");
        });
        var config = TestBalancer.SingleFarm([backend.Address], f => f with
        {
            Affinity = new AffinityOptions { Mode = AffinityMode.Cookie, Key = AffinityKey },
        });

        var (frontEnd, kestrel) = await OnBothPathsAsync(config, async (balancer, probe) =>
        {
            var response = await probe.GetAsync("/cookies");
            return string.Join(" | ", response.Values("Set-Cookie"));
        });

        Assert.StartsWith("WebFarmAffinity=", frontEnd, StringComparison.Ordinal);
        Assert.EndsWith(" | app=1; path=/ | theme=dark; path=/", frontEnd, StringComparison.Ordinal);
        Assert.Equal(frontEnd, kestrel);
    }

    [Fact]
    public async Task Client_address_affinity_is_served_by_the_front_end_and_maps_each_address_to_the_server_kestrel_picks()
    {
        var backends = await NamedBackendsAsync(3);
        try
        {
            var config = TestBalancer.SingleFarm(backends.Select(b => b.Address), f => f with
            {
                Affinity = new AffinityOptions { Mode = AffinityMode.ClientIp },
            });

            var (frontEnd, kestrel) = await OnBothPathsAsync(config, async (balancer, probe) =>
            {
                // Eight client addresses, three requests each: every address always lands on one server, and no cookie.
                var observed = new List<string>();
                for (var host = 1; host <= 8; host++)
                {
                    var from = "127.0.0." + host;
                    var servers = new HashSet<string>();
                    for (var i = 0; i < 3; i++)
                    {
                        var response = await probe.GetAsync("/ip", from: from);
                        Assert.Empty(response.Values("Set-Cookie"));
                        servers.Add(Backend(response));
                    }

                    observed.Add($"{from} -> {string.Join(",", servers)}");
                }

                return string.Join("\n", observed);
            });

            AssertStickyAndSpreadAlike(frontEnd, kestrel);
        }
        finally
        {
            await DisposeAllAsync(backends);
        }
    }

    /// <summary>
    /// The policies that read the request (Hash by header, cookie, path or query parameter; ClientIp; ClientNetwork) read
    /// the front end's parsed head through the same view as Kestrel's request, so every key lands on the same server
    /// on both paths. Twelve keys, each sent twice; the first header key comes on two lines (both are hashed).
    /// </summary>
    [Theory]
    [InlineData("header:X-User")]
    [InlineData("cookie:session")]
    [InlineData("path")]
    [InlineData("query:user")]
    [InlineData("client-ip")]
    [InlineData("client-network")]
    public async Task Policies_that_read_the_request_are_served_by_the_front_end_and_pick_the_server_kestrel_picks(string policy)
    {
        var backends = await NamedBackendsAsync(3);
        try
        {
            var config = TestBalancer.SingleFarm(backends.Select(b => b.Address), f => policy switch
            {
                "client-ip" => f with { LoadBalancing = LoadBalancingAlgorithm.ClientIp },
                "client-network" => f with { LoadBalancing = LoadBalancingAlgorithm.ClientNetwork },
                _ => f with { LoadBalancing = LoadBalancingAlgorithm.Hash, HashKey = policy },
            });

            var (frontEnd, kestrel) = await OnBothPathsAsync(config, async (balancer, probe) =>
            {
                var observed = new List<string>();
                for (var key = 0; key < 12; key++)
                {
                    var (path, headers, from) = policy switch
                    {
                        "header:X-User" => ("/h", key == 0 ? "X-User: a\r\nX-User: b\r\n" : $"X-User: user-{key}\r\n", (string?)null),
                        "cookie:session" => ("/c", $"Cookie: theme=dark; session=s{key}; lang=en\r\n", null),
                        "path" => ($"/items/{key}/detail", "", null),
                        "query:user" => ($"/q?page=2&user=u{key}&x", "", null),
                        "client-ip" => ("/ip", "", $"127.0.0.{key + 1}"),
                        _ => ("/net", "", $"127.0.{key + 1}.1"),
                    };

                    var servers = new HashSet<string>();
                    for (var i = 0; i < 2; i++)
                    {
                        servers.Add(Backend(await probe.GetAsync(path, headers, from)));
                    }

                    observed.Add($"{key} -> {string.Join(",", servers)}");
                }

                return string.Join("\n", observed);
            });

            AssertStickyAndSpreadAlike(frontEnd, kestrel);
        }
        finally
        {
            await DisposeAllAsync(backends);
        }
    }

    [Fact]
    public async Task Passive_health_is_served_by_the_front_end_and_ejects_a_failing_server_as_kestrel_does()
    {
        await using var good = await TestBackend.StartNamedAsync("good");
        await using var bad = await TestBackend.StartAsync(c =>
        {
            c.Response.StatusCode = StatusCodes.Status500InternalServerError;
            c.Response.Headers["X-Backend"] = "bad";
            return c.Response.WriteAsync("broken");
        });
        var config = TestBalancer.SingleFarm([good.Address, bad.Address], f => f with
        {
            PassiveHealth = new PassiveHealthOptions
            {
                MaxFailures = 2,
                FailureStatus = StatusCodeSet.Parse("500"),
                Window = TimeSpan.FromMinutes(5),
                ReactivationPeriod = TimeSpan.FromMinutes(10),
            },
        });

        var (frontEnd, kestrel) = await OnBothPathsAsync(config, async (balancer, probe) =>
        {
            var before = bad.Requests;

            // Until the second 500, the failing server still takes its share; after it, nobody goes there.
            var statuses = new List<int>();
            while (bad.Requests - before < 2)
            {
                Assert.True(statuses.Count < 20, "the failing server never got two requests");
                statuses.Add((await probe.GetAsync("/p")).Status);
            }

            await Eventually.True(() => !balancer.Runtime.GetServer("web", "web2").Healthy, TimeSpan.FromSeconds(5), "the failing server left rotation");
            var after = new List<string>();
            for (var i = 0; i < 6; i++)
            {
                var response = await probe.GetAsync("/p");
                after.Add($"{response.Status} {Backend(response)}");
            }

            var failed = balancer.Runtime.Events.Since(0).Count(e => e.Server == "web2" && e.Kind == EventKind.Failed);
            return $"500s before ejection: {statuses.Count(s => s == 500)}; after: {string.Join(", ", after)}; failed events: {failed}; bad saw {bad.Requests - before}";
        });

        Assert.Equal("500s before ejection: 2; after: 200 good, 200 good, 200 good, 200 good, 200 good, 200 good; failed events: 1; bad saw 2", frontEnd);
        Assert.Equal(kestrel, frontEnd);
    }

    [Fact]
    public async Task Active_health_is_served_by_the_front_end_and_keeps_traffic_off_a_server_its_check_fails()
    {
        await using var healthy = await TestBackend.StartNamedAsync("healthy");
        await using var sick = await TestBackend.StartAsync(c =>
        {
            c.Response.StatusCode = c.Request.Path == "/health" ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
            c.Response.Headers["X-Backend"] = "sick";
            return c.Response.WriteAsync("sick");
        });
        var config = TestBalancer.SingleFarm([healthy.Address, sick.Address], f => f with
        {
            Health = new HealthCheckOptions { Path = "/health", Interval = TimeSpan.FromMilliseconds(200), Timeout = TimeSpan.FromSeconds(2), Fall = 1 },
        });

        var (frontEnd, kestrel) = await OnBothPathsAsync(config, async (balancer, probe) =>
        {
            // A first probe may meet a cold (still JIT-compiling) backend: wait for both verdicts.
            await Eventually.True(
                () => !balancer.Runtime.GetServer("web", "web2").Healthy && balancer.Runtime.GetServer("web", "web1").Healthy,
                TimeSpan.FromSeconds(15),
                "the failing check took web2 out and web1 is healthy");
            var served = new List<string>();
            for (var i = 0; i < 6; i++)
            {
                served.Add(Backend(await probe.GetAsync("/a")));
            }

            return string.Join(",", served);
        });

        Assert.Equal("healthy,healthy,healthy,healthy,healthy,healthy", frontEnd);
        Assert.Equal(kestrel, frontEnd);
    }

    [Fact]
    public async Task The_access_log_is_written_by_the_front_end_with_the_line_kestrel_writes()
    {
        await using var backend = await TestBackend.StartNamedAsync("a");
        var provider = new CapturingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(provider).SetMinimumLevel(LogLevel.Information));
        var config = TestBalancer.SingleFarm(backend) with { AccessLog = true };

        var (frontEnd, kestrel) = await OnBothPathsAsync(
            config,
            async (balancer, probe) =>
            {
                provider.Entries.Clear();
                var ok = await probe.GetAsync("/logged?x=1");

                // Written once the response has gone out, so it can follow the client's read by a moment.
                await Eventually.True(() => provider.Entries.Any(e => e.Category == "WebFarm.AccessLog"), because: "the access log line");
                var lines = provider.Entries.Where(e => e.Category == "WebFarm.AccessLog").Select(e => e.Message).ToList();
                var line = Assert.Single(lines);
                Assert.EndsWith("id=" + ok.RequestId, line, StringComparison.Ordinal);

                // The elapsed time and the request id differ from run to run; the rest must not.
                return ElapsedAndId().Replace(line, "<ms> id=<id>");
            },
            loggerFactory);

        Assert.Equal("127.0.0.1 \"GET farm.test/logged?x=1 HTTP/1.1\" 200 web/web1 <ms> id=<id>", frontEnd);
        Assert.Equal(kestrel, frontEnd);
    }

    [GeneratedRegex(@"[0-9]+\.[0-9]ms id=[0-9a-f]{20}$")]
    private static partial Regex ElapsedAndId();
}
