using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using WebFarm.Balancer.Affinity;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Tests.Affinity;

public sealed class CookieAffinityProviderTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    private readonly ServerRuntime[] _servers =
    [
        new("web", "web1", new Uri("http://127.0.0.1:5001/"), 1, backup: false),
        new("web", "web2", new Uri("http://127.0.0.1:5002/"), 1, backup: false),
        new("web", "web3", new Uri("http://127.0.0.1:5003/"), 1, backup: false),
    ];

    private static CookieAffinityProvider Provider(
        string farm = "web", byte[]? key = null, TimeSpan? lifetime = null,
        AffinityFailurePolicy onUnavailable = AffinityFailurePolicy.Redistribute, TimeSpan? drainTimeout = null)
        => new(farm, key ?? Key, "WebFarmAffinity", lifetime, onUnavailable, drainTimeout);

    private static DefaultHttpContext Request(string? cookie = null, bool https = false)
    {
        var context = new DefaultHttpContext();
        context.Request.Scheme = https ? "https" : "http";
        if (cookie is not null)
        {
            context.Request.Headers.Cookie = "other=1; WebFarmAffinity=" + cookie;
        }

        return context;
    }

    private static SetCookieHeaderValue? IssuedCookie(HttpContext context)
    {
        var header = context.Response.Headers.SetCookie;
        return header.Count == 0 ? null : SetCookieHeaderValue.Parse(header[0]);
    }

    /// <summary>Binds a fresh client to <paramref name="server"/> and returns the cookie value it got.</summary>
    private static string CookieFor(CookieAffinityProvider provider, ServerRuntime server)
    {
        var context = Request();
        provider.Bind(new HttpContextAffinityClient(context), server, AffinityLookup.Unbound);
        return IssuedCookie(context)!.Value.ToString();
    }

    [Fact]
    public void Bound_client_returns_to_its_server_and_is_not_sent_the_cookie_again()
    {
        var provider = Provider();
        var cookie = CookieFor(provider, _servers[1]);
        Assert.Contains(".", cookie, StringComparison.Ordinal);

        for (var i = 0; i < 5; i++)
        {
            var context = Request(cookie);
            var lookup = provider.Lookup(new HttpContextAffinityClient(context), _servers);
            Assert.Equal(AffinityOutcome.Bound, lookup.Outcome);
            Assert.Same(_servers[1], lookup.Server);
            provider.Bind(new HttpContextAffinityClient(context), lookup.Server!, lookup);
            Assert.Null(IssuedCookie(context));
        }
    }

    [Fact]
    public void Cookie_attributes_are_HttpOnly_SameSite_Lax_path_root_and_Secure_only_on_https()
    {
        var plain = Request();
        Provider().Bind(new HttpContextAffinityClient(plain), _servers[0], AffinityLookup.Unbound);
        var cookie = IssuedCookie(plain)!;
        Assert.Equal("WebFarmAffinity", cookie.Name.ToString());
        Assert.True(cookie.HttpOnly);
        Assert.Equal(Microsoft.Net.Http.Headers.SameSiteMode.Lax, cookie.SameSite);
        Assert.Equal("/", cookie.Path.ToString());
        Assert.False(cookie.Secure);
        Assert.Null(cookie.MaxAge);
        Assert.Null(cookie.Expires);

        var https = Request(https: true);
        Provider(lifetime: TimeSpan.FromHours(2)).Bind(new HttpContextAffinityClient(https), _servers[0], AffinityLookup.Unbound);
        var secure = IssuedCookie(https)!;
        Assert.True(secure.Secure);
        Assert.Equal(TimeSpan.FromHours(2), secure.MaxAge);
    }

    [Fact]
    public void Tampered_forged_and_malformed_cookies_are_ignored()
    {
        var provider = Provider();
        var cookie = CookieFor(provider, _servers[0]);
        var dot = cookie.LastIndexOf('.');
        var mac = cookie[(dot + 1)..];
        var flipped = cookie[..(dot + 1)] + (mac[0] == 'A' ? 'B' : 'A') + mac[1..];
        var web2Name = CookieFor(provider, _servers[1])[..cookie[..dot].Length];

        string[] bad =
        [
            flipped,                                      // MAC altered
            web2Name + cookie[dot..],                     // name swapped, old MAC kept
            "d2ViMg",                                     // "web2" with no MAC at all
            "d2ViMg.",                                    // empty MAC
            ".AAAAAAAAAAAAAAAAAAAAAA",                    // empty name
            "web2",
            "%%%.***",
            new string('A', 10_000) + ".AAAA",            // oversized
            cookie + "x",
            CookieFor(Provider(key: RandomNumberGenerator.GetBytes(32)), _servers[0]), // signed with another key
            CookieFor(Provider(farm: "api"), _servers[0]),                              // made for another farm
        ];

        foreach (var value in bad)
        {
            var lookup = provider.Lookup(new HttpContextAffinityClient(Request(value)), _servers);
            Assert.True(lookup.Outcome == AffinityOutcome.Unbound, $"cookie \"{value[..Math.Min(40, value.Length)]}\" was accepted");
            Assert.Null(lookup.Server);
        }

        // The genuine one still works.
        Assert.Equal(AffinityOutcome.Bound, provider.Lookup(new HttpContextAffinityClient(Request(cookie)), _servers).Outcome);
    }

    [Fact]
    public void The_cookie_is_found_by_exact_name_in_any_cookie_header_and_may_be_quoted()
    {
        var provider = Provider();
        var cookie = CookieFor(provider, _servers[2]);

        AffinityLookup With(params string[] headers)
        {
            var context = new DefaultHttpContext();
            context.Request.Headers.Cookie = headers;
            return provider.Lookup(new HttpContextAffinityClient(context), _servers);
        }

        Assert.Same(_servers[2], With("a=1", $"b=2;\tWebFarmAffinity={cookie} ;c=3").Server);
        Assert.Same(_servers[2], With($"WebFarmAffinity=\"{cookie}\"").Server);
        Assert.Equal(AffinityLookup.Unbound, With($"XWebFarmAffinity={cookie}; WebFarmAffinityX={cookie}"));
        Assert.Equal(AffinityLookup.Unbound, With("WebFarmAffinity", "WebFarmAffinity=", ";;;"));
    }

    [Fact]
    public void A_validly_signed_cookie_for_a_server_that_left_the_farm_is_ignored()
    {
        var provider = Provider();
        var gone = new ServerRuntime("web", "web9", new Uri("http://127.0.0.1:5009/"), 1, backup: false);
        var cookie = CookieFor(provider, gone);

        Assert.Equal(AffinityLookup.Unbound, provider.Lookup(new HttpContextAffinityClient(Request(cookie)), _servers));
    }

    [Fact]
    public void The_cookie_values_follow_the_server_list_looked_up_with_each_time()
    {
        // The provider keeps the cookie values of the last server list (a farm view's): a reload's new list, and a
        // list changed in place, must be read again, never answered from the old one.
        var provider = Provider();
        var cookie = CookieFor(provider, _servers[1]);
        AffinityLookup Lookup(IReadOnlyList<ServerRuntime> servers) => provider.Lookup(new HttpContextAffinityClient(Request(cookie)), servers);

        Assert.Same(_servers[1], Lookup(_servers).Server);
        Assert.Equal(AffinityLookup.Unbound, Lookup([_servers[0], _servers[2]]));   // web2 left the farm
        Assert.Same(_servers[1], Lookup(_servers).Server);

        var list = new List<ServerRuntime>(_servers);
        Assert.Same(_servers[1], Lookup(list).Server);
        var readded = new ServerRuntime("web", "web2", new Uri("http://127.0.0.1:5012/"), 1, backup: false);
        list[1] = readded;                                                          // same list, new web2
        Assert.Same(readded, Lookup(list).Server);
        list[1] = new ServerRuntime("web", "web4", new Uri("http://127.0.0.1:5004/"), 1, backup: false);
        Assert.Equal(AffinityLookup.Unbound, Lookup(list));

        // A genuine cookie of the first server after a forged one, with the table already built.
        var first = CookieFor(provider, _servers[0]);
        var forged = first[..(first.IndexOf('.', StringComparison.Ordinal) + 1)] + new string('A', first.Length - first.IndexOf('.', StringComparison.Ordinal) - 1);
        Assert.Equal(AffinityLookup.Unbound, provider.Lookup(new HttpContextAffinityClient(Request(forged)), _servers));
        Assert.Same(_servers[0], provider.Lookup(new HttpContextAffinityClient(Request(first)), _servers).Server);
    }

    [Fact]
    public void No_cookie_is_unbound()
        => Assert.Equal(AffinityLookup.Unbound, Provider().Lookup(new HttpContextAffinityClient(Request()), _servers));

    [Theory]
    [InlineData(AffinityFailurePolicy.Redistribute, AffinityOutcome.Redistribute)]
    [InlineData(AffinityFailurePolicy.Fail, AffinityOutcome.Reject)]
    public void An_unhealthy_or_offline_bound_server_is_redistributed_or_rejected_per_farm(AffinityFailurePolicy policy, AffinityOutcome expected)
    {
        var provider = Provider(onUnavailable: policy);
        var cookie = CookieFor(provider, _servers[0]);

        _servers[0].Healthy = false;
        var unhealthy = provider.Lookup(new HttpContextAffinityClient(Request(cookie)), _servers);
        Assert.Equal(expected, unhealthy.Outcome);
        Assert.Same(_servers[0], unhealthy.Server);

        _servers[0].Healthy = true;
        _servers[0].State = ServerState.Offline;
        var offline = provider.Lookup(new HttpContextAffinityClient(Request(cookie)), _servers);
        Assert.Equal(expected, offline.Outcome);
        Assert.Same(_servers[0], offline.Server);
    }

    [Fact]
    public void Redistribution_reissues_the_cookie_for_the_new_server()
    {
        var provider = Provider();
        var cookie = CookieFor(provider, _servers[0]);
        _servers[0].State = ServerState.Offline;

        var context = Request(cookie);
        var lookup = provider.Lookup(new HttpContextAffinityClient(context), _servers);
        Assert.Equal(AffinityOutcome.Redistribute, lookup.Outcome);
        provider.Bind(new HttpContextAffinityClient(context), _servers[2], lookup);
        var reissued = IssuedCookie(context)!.Value.ToString();

        var next = provider.Lookup(new HttpContextAffinityClient(Request(reissued)), _servers);
        Assert.Equal(AffinityOutcome.Bound, next.Outcome);
        Assert.Same(_servers[2], next.Server);
    }

    [Fact]
    public void A_draining_server_keeps_bound_clients_until_the_drain_timeout_and_takes_no_new_ones()
    {
        var provider = Provider(drainTimeout: TimeSpan.FromMinutes(20));
        var cookie = CookieFor(provider, _servers[1]);
        _servers[1].State = ServerState.Draining;
        Assert.NotNull(_servers[1].DrainingSince);
        Assert.False(_servers[1].IsAvailable); // so the policy never picks it for a new client

        var bound = provider.Lookup(new HttpContextAffinityClient(Request(cookie)), _servers);
        Assert.Equal(AffinityOutcome.Bound, bound.Outcome);
        Assert.Same(_servers[1], bound.Server);
        Assert.Equal(AffinityLookup.Unbound, provider.Lookup(new HttpContextAffinityClient(Request()), _servers));

        // Draining began 21 minutes ago: the drain timeout is over, the client moves.
        _servers[1].DrainingSince = DateTimeOffset.UtcNow - TimeSpan.FromMinutes(21);
        Assert.Equal(AffinityOutcome.Redistribute, provider.Lookup(new HttpContextAffinityClient(Request(cookie)), _servers).Outcome);

        // An unhealthy draining server keeps nobody.
        _servers[1].DrainingSince = DateTimeOffset.UtcNow;
        _servers[1].Healthy = false;
        Assert.Equal(AffinityOutcome.Redistribute, provider.Lookup(new HttpContextAffinityClient(Request(cookie)), _servers).Outcome);
    }

    [Fact]
    public void Weight_zero_keeps_bound_clients()
    {
        var provider = Provider();
        var cookie = CookieFor(provider, _servers[2]);
        _servers[2].Weight = 0;

        Assert.Equal(AffinityOutcome.Bound, provider.Lookup(new HttpContextAffinityClient(Request(cookie)), _servers).Outcome);
    }

    [Fact]
    public void Invalid_settings_are_refused_with_the_reason()
    {
        Assert.Contains("at least 16 bytes", Assert.Throws<ArgumentException>(() => Provider(key: new byte[8])).Message, StringComparison.Ordinal);
        Assert.Contains("';'", Assert.Throws<ArgumentException>(() => new CookieAffinityProvider("web", Key, "a;b")).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => Provider(lifetime: TimeSpan.Zero));
    }
}
