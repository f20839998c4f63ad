using Microsoft.Net.Http.Headers;

namespace WebFarm.Balancer.Tests.Caching;

/// <summary>
/// RFC 9111's shared-cache rules, one row per directive: the origin answers a path with the row's headers, the client
/// asks twice (the second time with the row's request headers), and the row says whether the second answer came from
/// the cache (the origin gave one full answer) or from the origin.
/// </summary>
public sealed class CacheSemanticsTests(CacheFarmFixture farm) : IClassFixture<CacheFarmFixture>
{
    // Dates are filled in when the row runs (theory data is made at discovery, minutes earlier on a busy machine).
    private const string Now = "{now}";
    private const string InAnHour = "{in an hour}";
    private const string AnHourAgo = "{an hour ago}";

    /// <summary>Row name, origin status, origin headers, request headers (both requests), second request's extra headers, second X-Cache, full origin answers.</summary>
    public static TheoryData<string, int, string[], string[], string[], string, int> Rows => new()
    {
        { "max-age", 200, ["Cache-Control: max-age=60"], [], [], "HIT", 1 },
        { "s-maxage", 200, ["Cache-Control: s-maxage=60"], [], [], "HIT", 1 },
        { "public max-age", 200, ["Cache-Control: public, max-age=60"], [], [], "HIT", 1 },
        { "no-store", 200, ["Cache-Control: no-store, max-age=60"], [], [], "MISS", 2 },
        { "private", 200, ["Cache-Control: private, max-age=60"], [], [], "MISS", 2 },
        { "no-cache with ETag is revalidated each time", 200, ["Cache-Control: no-cache", "ETag: \"nc1\""], [], [], "REVALIDATED", 1 },
        { "no-cache without validator", 200, ["Cache-Control: no-cache"], [], [], "MISS", 2 },
        { "Set-Cookie is never stored", 200, ["Cache-Control: public, max-age=60", "Set-Cookie: s=1"], [], [], "MISS", 2 },
        { "no freshness information", 200, [], [], [], "MISS", 2 },
        { "Expires after Date", 200, ["Date: " + Now, "Expires: " + InAnHour], [], [], "HIT", 1 },
        { "Expires before Date", 200, ["Date: " + Now, "Expires: " + AnHourAgo], [], [], "MISS", 2 },
        { "invalid Expires means expired", 200, ["Expires: 0"], [], [], "MISS", 2 },
        { "max-age beats Expires", 200, ["Cache-Control: max-age=60", "Date: " + Now, "Expires: " + AnHourAgo], [], [], "HIT", 1 },
        { "s-maxage beats max-age", 200, ["Cache-Control: max-age=60, s-maxage=0"], [], [], "MISS", 2 },
        { "Age beyond max-age is stale", 200, ["Cache-Control: max-age=60", "Age: 100"], [], [], "MISS", 2 },
        { "Date an hour old is stale", 200, ["Cache-Control: max-age=60", "Date: " + AnHourAgo], [], [], "MISS", 2 },
        { "Authorization is not stored", 200, ["Cache-Control: max-age=60"], ["Authorization: Bearer a"], [], "MISS", 2 },
        { "Authorization with public", 200, ["Cache-Control: public, max-age=60"], ["Authorization: Bearer a"], [], "HIT", 1 },
        { "Authorization with s-maxage", 200, ["Cache-Control: s-maxage=60"], ["Authorization: Bearer a"], [], "HIT", 1 },
        { "Authorization with must-revalidate", 200, ["Cache-Control: must-revalidate, max-age=60"], ["Authorization: Bearer a"], [], "HIT", 1 },
        { "Vary: * is not stored", 200, ["Cache-Control: max-age=60", "Vary: *"], [], [], "MISS", 2 },
        { "404 with max-age", 404, ["Cache-Control: max-age=60"], [], [], "HIT", 1 },
        { "500 is not stored", 500, ["Cache-Control: max-age=60"], [], [], "MISS", 2 },
        { "302 is not stored", 302, ["Cache-Control: max-age=60", "Location: /x"], [], [], "MISS", 2 },
        { "request no-cache", 200, ["Cache-Control: max-age=60"], [], ["Cache-Control: no-cache"], "MISS", 2 },
        { "request Pragma no-cache", 200, ["Cache-Control: max-age=60"], [], ["Pragma: no-cache"], "MISS", 2 },
        { "request max-age=0", 200, ["Cache-Control: max-age=60"], [], ["Cache-Control: max-age=0"], "MISS", 2 },
        { "request max-age above the age", 200, ["Cache-Control: max-age=600", "Age: 30"], [], ["Cache-Control: max-age=300"], "HIT", 1 },
        { "request max-age below the age", 200, ["Cache-Control: max-age=600", "Age: 30"], [], ["Cache-Control: max-age=10"], "MISS", 2 },
        { "request no-store", 200, ["Cache-Control: max-age=60"], [], ["Cache-Control: no-store"], "MISS", 2 },
        { "Range is relayed", 200, ["Cache-Control: max-age=60"], [], ["Range: bytes=0-1"], "", 2 },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task The_second_request_is_answered_as_the_rules_say(string row, int status, string[] origin, string[] request, string[] second, string xCache, int fullAnswers)
    {
        var path = "/rules/" + new string([.. row.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')]);
        var now = DateTimeOffset.UtcNow;
        farm.Origin.Set(path, status, "body of " + row, [.. origin.Select(h => h
            .Replace(Now, HeaderUtilities.FormatDate(now), StringComparison.Ordinal)
            .Replace(InAnHour, HeaderUtilities.FormatDate(now.AddHours(1)), StringComparison.Ordinal)
            .Replace(AnHourAgo, HeaderUtilities.FormatDate(now.AddHours(-1)), StringComparison.Ordinal))]);

        var first = await farm.SendAsync(path, null, request);
        Assert.Equal(status, first.Status);
        Assert.Equal("MISS", first.XCache);
        var again = await farm.SendAsync(path, null, [.. request, .. second]);

        Assert.Equal(xCache, again.XCache ?? string.Empty);
        Assert.Equal(fullAnswers, farm.Origin.Full(path));
        if (again.Status == status)
        {
            Assert.Equal("body of " + row, again.Body);
        }
    }

    [Fact]
    public async Task A_hit_carries_its_age_and_HEAD_is_answered_from_the_GET_copy()
    {
        farm.Origin.Set("/head", 200, "headbody", "Cache-Control: max-age=600", "Age: 42");
        var first = await farm.SendAsync("/head");
        Assert.Equal(42, first.Age);

        var head = await farm.SendAsync("/head", HttpMethod.Head);
        Assert.Equal("HIT", head.XCache);
        Assert.True(head.Age >= 42);
        Assert.Equal(string.Empty, head.Body);
        Assert.Equal(1, farm.Origin.Full("/head"));
    }

    [Fact]
    public async Task A_request_no_store_is_not_stored_for_later_requests()
    {
        farm.Origin.Set("/nostore-req", 200, "x", "Cache-Control: max-age=60");
        Assert.Equal("MISS", (await farm.SendAsync("/nostore-req", null, "Cache-Control: no-store")).XCache);
        Assert.Equal("MISS", (await farm.SendAsync("/nostore-req")).XCache);
        Assert.Equal("HIT", (await farm.SendAsync("/nostore-req")).XCache);
    }

    [Fact]
    public async Task Vary_keeps_one_copy_per_value_of_the_named_request_header()
    {
        farm.Origin.Set("/vary", 200, "varied", "Cache-Control: max-age=60", "Vary: Accept-Language");
        Assert.Equal("MISS", (await farm.SendAsync("/vary", null, "Accept-Language: de")).XCache);
        Assert.Equal("MISS", (await farm.SendAsync("/vary", null, "Accept-Language: fr")).XCache);
        Assert.Equal("HIT", (await farm.SendAsync("/vary", null, "Accept-Language: de")).XCache);
        Assert.Equal("HIT", (await farm.SendAsync("/vary", null, "Accept-Language: fr")).XCache);
        Assert.Equal("MISS", (await farm.SendAsync("/vary")).XCache);
        Assert.Equal(3, farm.Origin.Full("/vary"));
    }

    [Fact]
    public async Task The_query_is_in_the_key_except_ignored_parameters()
    {
        farm.Origin.Set("/ignore/q", 200, "q", "Cache-Control: max-age=60");
        Assert.Equal("MISS", (await farm.SendAsync("/ignore/q?id=1&utm_source=a")).XCache);
        Assert.Equal("HIT", (await farm.SendAsync("/ignore/q?id=1&utm_source=b")).XCache);
        Assert.Equal("HIT", (await farm.SendAsync("/ignore/q?id=1")).XCache);
        Assert.Equal("MISS", (await farm.SendAsync("/ignore/q?id=2")).XCache);
        Assert.Equal(2, farm.Origin.Full("/ignore/q"));
    }

    [Fact]
    public async Task The_default_lifetime_stores_responses_without_freshness_information()
    {
        farm.Origin.Set("/ttl/page", 200, "ttl");
        Assert.Equal("MISS", (await farm.SendAsync("/ttl/page")).XCache);
        Assert.Equal("HIT", (await farm.SendAsync("/ttl/page")).XCache);

        // Explicit directives still win over the default.
        farm.Origin.Set("/ttl/private", 200, "p", "Cache-Control: private");
        await farm.SendAsync("/ttl/private");
        Assert.Equal("MISS", (await farm.SendAsync("/ttl/private")).XCache);
    }
}
