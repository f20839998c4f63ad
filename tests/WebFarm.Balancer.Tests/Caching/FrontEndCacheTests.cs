using System.Net.Http.Json;
using System.Net.Sockets;
using WebFarm.Balancer.Tests.Infrastructure;
using static WebFarm.Balancer.Tests.Infrastructure.RawHttp;

namespace WebFarm.Balancer.Tests.Caching;

/// <summary>
/// Cache hits answered by the HTTP/1.1 front end itself, seen from a raw client socket (a fresh connection per test:
/// a connection the front end handed to Kestrel stays there). Who answered is proved by the front end's counters
/// (CacheHits, HandOffs), since both paths answer alike; the origin's counters prove no server was asked.
/// </summary>
public sealed class FrontEndCacheTests(CacheFarmFixture farm) : IClassFixture<CacheFarmFixture>
{
    private Infrastructure.TestBalancer Balancer => farm.Balancer;

    private static string Request(string method, string path, string extraHeaders = "") => $"{method} {path} HTTP/1.1\r\nHost: cache.test\r\n{extraHeaders}\r\n";

    /// <summary>Stores <paramref name="path"/> through Kestrel's path (HttpClient, Host "cache.test") and checks it was a miss.</summary>
    private async Task PrimeAsync(string path, params string[] headers)
    {
        var first = await farm.SendAsync(path, null, ["Host: cache.test", .. headers]);
        Assert.Equal("MISS", first.XCache);
    }

    private (long Hits, long HandOffs, long Requests) Counters()
    {
        var frontEnd = Balancer.Runtime.FrontEnd;
        return (frontEnd.CacheHits, frontEnd.HandOffs, frontEnd.Requests);
    }

    [Fact]
    public async Task Hits_on_a_keep_alive_connection_are_answered_by_the_front_end_with_Age_XCache_and_the_stored_headers()
    {
        farm.Origin.Set("/fe/hit", 200, "front end body", "Cache-Control: max-age=600", "Age: 42", "X-Origin: kept");
        await PrimeAsync("/fe/hit");
        var before = Counters();

        using var client = await ConnectAsync(Balancer.Uri);
        var stream = client.GetStream();
        await WriteAsync(stream, Request("GET", "/fe/hit") + Request("GET", "/fe/hit"));
        var first = await ReadResponseAsync(stream);
        var second = await ReadResponseAsync(stream);

        foreach (var answer in new[] { first, second })
        {
            Assert.Equal(200, answer.Status);
            Assert.Equal("front end body", answer.Body);
            Assert.Equal("HIT", Assert.Single(answer.Values("X-Cache")));
            Assert.True(long.Parse(Assert.Single(answer.Values("Age")), System.Globalization.CultureInfo.InvariantCulture) >= 42, answer.Head);
            Assert.Equal("kept", Assert.Single(answer.Values("X-Origin")));
            Assert.Single(answer.Values("Date"));
            Assert.Equal("max-age=600", Assert.Single(answer.Values("Cache-Control")));
        }

        Assert.NotEqual(first.RequestId, second.RequestId);
        var after = Counters();
        Assert.Equal(2, after.Hits - before.Hits);
        Assert.Equal(0, after.HandOffs - before.HandOffs);
        Assert.Equal(1, farm.Origin.Full("/fe/hit"));
        Assert.Matches(@"\nwebfarm_frontend_cache_hits_total [1-9]\d*\n", await Balancer.Admin.GetStringAsync("metrics"));
    }

    [Fact]
    public async Task A_HEAD_hit_has_the_length_and_no_body_and_the_connection_goes_on()
    {
        farm.Origin.Set("/fe/head", 200, "0123456789", "Cache-Control: max-age=600");
        await PrimeAsync("/fe/head");
        var before = Counters();

        using var client = await ConnectAsync(Balancer.Uri);
        var stream = client.GetStream();
        await WriteAsync(stream, Request("HEAD", "/fe/head") + Request("GET", "/fe/head"));
        var head = await ReadResponseAsync(stream, headRequest: true);
        var get = await ReadResponseAsync(stream);

        Assert.Equal("10", Assert.Single(head.Values("Content-Length")));
        Assert.Equal("HIT", Assert.Single(head.Values("X-Cache")));

        // Had the HEAD answer carried a body, these bytes would be read as the GET's head.
        Assert.Equal(200, get.Status);
        Assert.Equal("0123456789", get.Body);
        Assert.Equal(2, Counters().Hits - before.Hits);
        Assert.Equal(0, Counters().HandOffs - before.HandOffs);
    }

    [Fact]
    public async Task A_Vary_mismatch_is_handed_to_Kestrel_and_a_match_is_a_front_end_hit()
    {
        farm.Origin.Set("/fe/vary", 200, "varied", "Cache-Control: max-age=600", "Vary: Accept-Language");
        await PrimeAsync("/fe/vary", "Accept-Language: de");

        var before = Counters();
        using (var other = await ConnectAsync(Balancer.Uri))
        {
            await WriteAsync(other.GetStream(), Request("GET", "/fe/vary", "Accept-Language: fr\r\n"));
            var fr = await ReadResponseAsync(other.GetStream());
            Assert.Equal("MISS", Assert.Single(fr.Values("X-Cache")));
        }

        Assert.Equal(1, Counters().HandOffs - before.HandOffs);
        Assert.Equal(0, Counters().Hits - before.Hits);

        using var same = await ConnectAsync(Balancer.Uri);
        await WriteAsync(same.GetStream(), Request("GET", "/fe/vary", "Accept-Language: de\r\n"));
        var de = await ReadResponseAsync(same.GetStream());
        Assert.Equal("HIT", Assert.Single(de.Values("X-Cache")));
        Assert.Equal(1, Counters().Hits - before.Hits);
        Assert.Equal(2, farm.Origin.Full("/fe/vary"));
    }

    [Theory]
    [InlineData("If-None-Match: \"fe1\"\r\n", 304)]
    [InlineData("Cache-Control: no-cache\r\n", 200)]
    [InlineData("Pragma: no-cache\r\n", 200)]
    [InlineData("Authorization: Bearer a\r\n", 200)]
    [InlineData("Range: bytes=0-1\r\n", 200)] // relayed; this origin ignores ranges
    public async Task A_request_that_asks_more_than_a_hit_is_handed_to_Kestrel(string header, int status)
    {
        var path = "/fe/asks/" + header[..header.IndexOf(':', StringComparison.Ordinal)];
        farm.Origin.Set(path, 200, "asks more", "Cache-Control: max-age=600", "ETag: \"fe1\"");
        await PrimeAsync(path);
        var before = Counters();

        using var client = await ConnectAsync(Balancer.Uri);
        await WriteAsync(client.GetStream(), Request("GET", path, header));
        var answer = await ReadResponseAsync(client.GetStream());

        Assert.Equal(status, answer.Status);
        Assert.Equal(1, Counters().HandOffs - before.HandOffs);
        Assert.Equal(0, Counters().Hits - before.Hits);
    }

    [Fact]
    public async Task A_purge_takes_effect_at_once_on_a_connection_the_front_end_serves()
    {
        farm.Origin.Set("/fe/purge", 200, "purge me", "Cache-Control: max-age=600");
        await PrimeAsync("/fe/purge");
        var before = Counters();

        using var client = await ConnectAsync(Balancer.Uri);
        var stream = client.GetStream();
        await WriteAsync(stream, Request("GET", "/fe/purge"));
        Assert.Equal("HIT", Assert.Single((await ReadResponseAsync(stream)).Values("X-Cache")));
        Assert.Equal(1, Counters().Hits - before.Hits);

        using (var purge = await Balancer.Admin.PostAsJsonAsync("api/cache/purge", new { url = "http://cache.test/fe/purge" }))
        {
            purge.EnsureSuccessStatusCode();
        }

        // The same connection's next request finds nothing: handed to Kestrel, fetched again.
        await WriteAsync(stream, Request("GET", "/fe/purge"));
        var again = await ReadResponseAsync(stream);
        Assert.Equal("MISS", Assert.Single(again.Values("X-Cache")));
        Assert.Equal(1, Counters().Hits - before.Hits);
        Assert.Equal(1, Counters().HandOffs - before.HandOffs);
        Assert.Equal(2, farm.Origin.Full("/fe/purge"));
    }

    [Fact]
    public async Task A_hit_to_Connection_close_says_so_and_the_front_end_closes()
    {
        farm.Origin.Set("/fe/close", 200, "bye", "Cache-Control: max-age=600");
        await PrimeAsync("/fe/close");
        var before = Counters();

        using var client = await ConnectAsync(Balancer.Uri);
        var stream = client.GetStream();
        await WriteAsync(stream, Request("GET", "/fe/close", "Connection: close\r\n"));
        var answer = await ReadResponseAsync(stream);
        Assert.Equal("close", Assert.Single(answer.Values("Connection")));
        Assert.Equal("bye", answer.Body);
        Assert.Equal(string.Empty, await ReadUntilClosedAsync(stream, ResponseDeadline));
        Assert.Equal(1, Counters().Hits - before.Hits);
    }

    [Fact]
    public async Task A_front_end_hit_has_the_same_headers_as_a_hit_on_Kestrels_path()
    {
        farm.Origin.Set("/fe/same", 200, "same", "Cache-Control: max-age=600", "ETag: \"s1\"", "Content-Type: text/plain", "X-Multi: a", "X-Multi: b");
        await PrimeAsync("/fe/same");

        // Authorization keeps a request off the front end; Kestrel's path answers it from the copy (found, fresh).
        using var kestrel = await ConnectAsync(Balancer.Uri);
        await WriteAsync(kestrel.GetStream(), Request("GET", "/fe/same", "Authorization: Bearer x\r\n"));
        var viaKestrel = await ReadResponseAsync(kestrel.GetStream());

        using var frontEnd = await ConnectAsync(Balancer.Uri);
        var before = Counters();
        await WriteAsync(frontEnd.GetStream(), Request("GET", "/fe/same"));
        var viaFrontEnd = await ReadResponseAsync(frontEnd.GetStream());
        Assert.Equal(1, Counters().Hits - before.Hits);

        Assert.Equal("HIT", Assert.Single(viaKestrel.Values("X-Cache")));
        Assert.Equal(Comparable(viaKestrel), Comparable(viaFrontEnd));
        Assert.Equal(viaKestrel.Body, viaFrontEnd.Body);
    }

    /// <summary>Header lines without the ones that differ per answer (request id, Date, Age), sorted: Kestrel orders known headers its own way.</summary>
    private static List<string> Comparable(RawResponse response)
        => [.. response.Headers
            .Where(h => h.Key is not ("X-Request-Id" or "Date" or "Age"))
            .Select(h => h.Key.ToLowerInvariant() + ": " + h.Value)
            .Order(StringComparer.Ordinal)];
}
