using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using WebFarm.Balancer.FrontEnd;
using WebFarm.Balancer.LoadBalancing;

namespace WebFarm.Balancer.Tests.LoadBalancing;

public class HashPolicyTests
{
    [Fact]
    public void Header_key_pins_requests_and_ignores_everything_else()
    {
        var policy = new HashPolicy(HashKeySpec.Parse("header:x-user")); // header names are case-insensitive
        var servers = TestServers.Create(1, 1, 1, 1);

        var first = policy.Choose(Request(r => r.Headers["X-User"] = "alice"), servers);
        for (var i = 0; i < 50; i++)
        {
            Assert.Same(first, policy.Choose(Request(r => { r.Headers["X-User"] = "alice"; r.Path = $"/p{i}"; }), servers));
        }
    }

    [Fact]
    public void Cookie_key_is_found_among_other_cookies()
    {
        var policy = new HashPolicy(HashKeySpec.Parse("cookie:sid"));
        var servers = TestServers.Create(1, 1, 1, 1, 1);

        for (var i = 0; i < 200; i++)
        {
            var alone = policy.Choose(Request(r => r.Headers.Cookie = $"sid=v{i}"), servers);
            var among = policy.Choose(Request(r => r.Headers.Cookie = $"a=1; sid=v{i} ;xsid=2"), servers);
            Assert.Same(alone, among);
        }
    }

    [Fact]
    public void Query_key_is_found_among_other_parameters()
    {
        var policy = new HashPolicy(HashKeySpec.Parse("query:user"));
        var servers = TestServers.Create(1, 1, 1, 1, 1);

        for (var i = 0; i < 200; i++)
        {
            var alone = policy.Choose(Request(r => r.QueryString = new QueryString($"?user=u{i}")), servers);
            var among = policy.Choose(Request(r => r.QueryString = new QueryString($"?page=3&user=u{i}&superuser=x")), servers);
            Assert.Same(alone, among);
        }
    }

    [Fact]
    public void Path_key_hashes_the_path()
    {
        var policy = new HashPolicy(HashKeySpec.Parse("path"));
        var servers = TestServers.Create(1, 1, 1);
        var seen = new HashSet<string>();
        for (var i = 0; i < 100; i++)
        {
            var a = policy.Choose(Request(r => r.Path = $"/img/{i}.png"), servers);
            var b = policy.Choose(Request(r => { r.Path = $"/img/{i}.png"; r.QueryString = new QueryString("?v=2"); }), servers);
            Assert.Same(a, b);
            seen.Add(a!.Name);
        }

        Assert.Equal(3, seen.Count);
    }

    [Theory]
    [InlineData("header:X-User")]
    [InlineData("cookie:sid")]
    [InlineData("query:user")]
    public void Missing_key_falls_back_to_weighted_random(string key)
    {
        var policy = new HashPolicy(HashKeySpec.Parse(key));
        var servers = TestServers.Create(1, 3);
        var counts = new int[2];
        for (var i = 0; i < 4_000; i++)
        {
            counts[Array.IndexOf(servers, policy.Choose(Request(r => r.Headers.Cookie = "other=1"), servers))]++;
        }

        PolicyShareTests.AssertShares(counts, [1, 3], tolerancePoints: 4);
    }

    [Theory]
    [InlineData("a=1; sid=xyz; b=2", "sid", ';', "xyz")]
    [InlineData("sid=", "sid", ';', "")]
    [InlineData("sid", "sid", ';', "")]
    [InlineData("xsid=1;sid = 2", "sid", ';', "2")]
    [InlineData("page=1&user=bob", "user", '&', "bob")]
    public void Pair_scanner_finds_values(string list, string name, char separator, string expected)
    {
        Assert.True(HashPolicy.TryFindPair(list, name, separator, out var value));
        Assert.Equal(expected, value.ToString());
    }

    [Theory]
    [InlineData("a=1; xsid=2", "sid", ';')]
    [InlineData("", "sid", ';')]
    [InlineData("username=bob", "user", '&')]
    public void Pair_scanner_requires_the_exact_name(string list, string name, char separator)
    {
        Assert.False(HashPolicy.TryFindPair(list, name, separator, out _));
    }

    /// <summary>
    /// The front end's view of a raw head hashes as Kestrel's request does, also for obs-text (bytes 0x80-0xFF, which
    /// Kestrel reads as Latin-1 in the balancer) and for a header sent on two lines. End to end, with every key shape
    /// on real balancers: FrontEndFarmFeatureTests (whose test servers refuse obs-text, hence this direct check).
    /// </summary>
    [Theory]
    [InlineData("header:X-User")]
    [InlineData("cookie:sid")]
    [InlineData("query:u")]
    [InlineData("path")]
    public void The_front_ends_view_of_a_head_hashes_as_kestrels_request(string key)
    {
        var policy = new HashPolicy(HashKeySpec.Parse(key));
        var raw = "GET /p/caf?x=1&u=ete HTTP/1.1\r\nHost: t\r\nX-User: caf\u00e9\r\nCookie: a=1; sid=\u00e9t\u00e9\r\nX-User:  second \r\n\r\n";
        var head = new ClientRequestHead();
        Assert.Equal(ClientHeadStatus.Complete, head.Parse(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(raw))));

        // What Kestrel gives for the same bytes (header values read as Latin-1, whitespace trimmed, one value per line).
        var kestrel = Request(r =>
        {
            r.Path = "/p/caf";
            r.QueryString = new QueryString("?x=1&u=ete");
            r.Headers["X-User"] = new StringValues(["caf\u00e9", "second"]);
            r.Headers.Cookie = "a=1; sid=\u00e9t\u00e9";
        });

        Assert.True(policy.TryHashKey(new HttpRequestPolicyView(kestrel), out var expected));
        Assert.True(policy.TryHashKey(new ClientPolicyView(head, null), out var actual));
        Assert.Equal(expected, actual);
    }

    private static DefaultHttpContext Request(Action<HttpRequest> configure)
    {
        var context = new DefaultHttpContext();
        configure(context.Request);
        return context;
    }
}
