using Microsoft.AspNetCore.Http;
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

    private static DefaultHttpContext Request(Action<HttpRequest> configure)
    {
        var context = new DefaultHttpContext();
        configure(context.Request);
        return context;
    }
}
