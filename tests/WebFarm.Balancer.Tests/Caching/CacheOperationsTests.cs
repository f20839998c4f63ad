using System.Net;
using System.Net.Http.Json;
using Microsoft.Net.Http.Headers;

namespace WebFarm.Balancer.Tests.Caching;

/// <summary>Conditional requests and revalidation, request collapsing, the LRU memory limit, purge and the /metrics counters.</summary>
public sealed class CacheOperationsTests(CacheFarmFixture farm) : IClassFixture<CacheFarmFixture>
{
    [Fact]
    public async Task Conditional_requests_are_answered_from_the_cache_with_304()
    {
        var lastModified = HeaderUtilities.FormatDate(DateTimeOffset.UtcNow.AddDays(-1));
        farm.Origin.Set("/cond", 200, "conditional", "Cache-Control: max-age=600", "ETag: \"v1\"", "Last-Modified: " + lastModified);
        await farm.SendAsync("/cond");

        var byTag = await farm.SendAsync("/cond", null, "If-None-Match: \"v0\", W/\"v1\"");
        Assert.Equal(304, byTag.Status);
        Assert.Equal("HIT", byTag.XCache);
        Assert.Equal("\"v1\"", byTag.ETag);
        Assert.Equal(string.Empty, byTag.Body);

        var byDate = await farm.SendAsync("/cond", null, "If-Modified-Since: " + HeaderUtilities.FormatDate(DateTimeOffset.UtcNow));
        Assert.Equal(304, byDate.Status);

        var otherTag = await farm.SendAsync("/cond", null, "If-None-Match: \"v2\"");
        Assert.Equal(200, otherTag.Status);
        Assert.Equal("conditional", otherTag.Body);

        var older = await farm.SendAsync("/cond", null, "If-Modified-Since: " + HeaderUtilities.FormatDate(DateTimeOffset.UtcNow.AddDays(-2)));
        Assert.Equal(200, older.Status);

        // The client's validators never reached the origin: the cache answered them all.
        Assert.Equal(1, farm.Origin.Full("/cond"));
        Assert.Equal(0, farm.Origin.NotModified("/cond"));
    }

    [Fact]
    public async Task A_client_conditional_miss_stores_the_full_response_and_answers_304()
    {
        farm.Origin.Set("/cond-miss", 200, "full", "Cache-Control: max-age=600", "ETag: \"m1\"");
        var first = await farm.SendAsync("/cond-miss", null, "If-None-Match: \"m1\"");
        Assert.Equal(304, first.Status);
        Assert.Equal("MISS", first.XCache);
        Assert.Null(farm.Origin.LastIfNoneMatch("/cond-miss"));

        var full = await farm.SendAsync("/cond-miss");
        Assert.Equal("HIT", full.XCache);
        Assert.Equal("full", full.Body);
    }

    [Fact]
    public async Task A_stale_copy_is_revalidated_with_its_ETag_and_a_304_refreshes_it()
    {
        // Age beyond max-age: stored already stale, so the next request asks the origin with the copy's ETag.
        farm.Origin.Set("/reval", 200, "revalidated body", "Cache-Control: max-age=60", "Age: 120", "ETag: \"r1\"");
        Assert.Equal("MISS", (await farm.SendAsync("/reval")).XCache);

        farm.Origin.Set("/reval", 200, "revalidated body", "Cache-Control: max-age=600", "ETag: \"r1\"");
        var second = await farm.SendAsync("/reval");
        Assert.Equal("REVALIDATED", second.XCache);
        Assert.Equal(200, second.Status);
        Assert.Equal("revalidated body", second.Body);
        Assert.Equal("\"r1\"", farm.Origin.LastIfNoneMatch("/reval"));
        Assert.Equal(1, farm.Origin.NotModified("/reval"));

        // The 304's max-age=600 made the copy fresh again.
        Assert.Equal("HIT", (await farm.SendAsync("/reval")).XCache);
        Assert.Equal(1, farm.Origin.Full("/reval"));
    }

    [Fact]
    public async Task A_hundred_concurrent_misses_for_one_key_make_one_upstream_request()
    {
        const int Clients = 100;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        farm.Origin.SetHeld("/collapse", release.Task, "collapsed", "Cache-Control: max-age=600");
        var statistics = farm.Balancer.Runtime.Caches.Statistics;
        var waitingBefore = statistics.Waiting;
        var collapsedBefore = statistics.Collapsed;

        var requests = Enumerable.Range(0, Clients).Select(_ => farm.SendAsync("/collapse")).ToList();
        try
        {
            // One request is at the origin, the other 99 wait for it in the cache.
            await Eventually.True(() => farm.Origin.Backend.Hits("/collapse") >= 1 && statistics.Waiting - waitingBefore == Clients - 1, because: "99 requests wait for the one fetch");
        }
        finally
        {
            release.TrySetResult();
        }

        var answers = await Task.WhenAll(requests);
        Assert.All(answers, a => Assert.Equal("collapsed", a.Body));
        Assert.Equal(1, farm.Origin.Backend.Hits("/collapse"));
        Assert.Equal(Clients - 1, answers.Count(a => a.XCache == "HIT"));
        Assert.Equal(Clients - 1, statistics.Collapsed - collapsedBefore);
    }

    [Fact]
    public async Task A_waiting_request_goes_upstream_itself_when_the_fetch_stores_nothing()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        farm.Origin.SetHeld("/collapse-private", release.Task, "mine", "Cache-Control: private");
        var statistics = farm.Balancer.Runtime.Caches.Statistics;
        var waitingBefore = statistics.Waiting;
        var requests = Enumerable.Range(0, 3).Select(_ => farm.SendAsync("/collapse-private")).ToList();
        try
        {
            await Eventually.True(() => statistics.Waiting - waitingBefore == 2, because: "two requests wait for the fetch");
        }
        finally
        {
            release.TrySetResult();
        }

        var answers = await Task.WhenAll(requests);
        Assert.All(answers, a => Assert.Equal("mine", a.Body));
        Assert.Equal(3, farm.Origin.Backend.Hits("/collapse-private"));
    }

    [Fact]
    public async Task The_memory_limit_evicts_the_least_recently_used_entry()
    {
        // Each entry is a 1,000-byte body plus headers and overhead (about 1,700 bytes): two fit in 4,000, three do not.
        var body = new string('x', 1000);
        foreach (var name in new[] { "a", "b", "c" })
        {
            farm.Origin.Set("/small/" + name, 200, body, "Cache-Control: max-age=600");
        }

        var evictedBefore = farm.Balancer.Runtime.Caches.Statistics.Evicted;
        await farm.SendAsync("/small/a");
        await farm.SendAsync("/small/b");
        Assert.Equal("HIT", (await farm.SendAsync("/small/a")).XCache); // a is now the most recently used
        await farm.SendAsync("/small/c"); // evicts b

        Assert.Equal(evictedBefore + 1, farm.Balancer.Runtime.Caches.Statistics.Evicted);
        Assert.Equal("HIT", (await farm.SendAsync("/small/a")).XCache);
        Assert.Equal("HIT", (await farm.SendAsync("/small/c")).XCache);
        Assert.Equal("MISS", (await farm.SendAsync("/small/b")).XCache);
    }

    [Fact]
    public async Task A_response_larger_than_MaxEntrySize_is_relayed_whole_and_not_stored()
    {
        var body = new string('y', 5000);
        farm.Origin.Set("/small/large", 200, body, "Cache-Control: max-age=600");
        var first = await farm.SendAsync("/small/large");
        Assert.Equal(body, first.Body);
        Assert.Equal("MISS", first.XCache);
        var second = await farm.SendAsync("/small/large");
        Assert.Equal(body, second.Body);
        Assert.Equal("MISS", second.XCache);
    }

    [Fact]
    public async Task Purge_by_url_and_by_prefix_through_the_admin_api()
    {
        foreach (var path in new[] { "/purge/one?x=1", "/purge/two", "/purge/dir/three", "/keep" })
        {
            farm.Origin.Set(path.Split('?')[0], 200, path, "Cache-Control: max-age=600");
            await farm.SendAsync(path);
            Assert.Equal("HIT", (await farm.SendAsync(path)).XCache);
        }

        var host = farm.Balancer.Uri.Authority;
        Assert.Equal(1, await PurgeAsync(new { url = $"http://{host}/purge/one?x=1" }));
        Assert.Equal("MISS", (await farm.SendAsync("/purge/one?x=1")).XCache);
        Assert.Equal("HIT", (await farm.SendAsync("/purge/two")).XCache);

        Assert.Equal(2, await PurgeAsync(new { prefix = $"http://{host}/purge/d" }) + await PurgeAsync(new { prefix = "/purge/two" }));
        Assert.Equal("MISS", (await farm.SendAsync("/purge/dir/three")).XCache);
        Assert.Equal("MISS", (await farm.SendAsync("/purge/two")).XCache);
        Assert.Equal("HIT", (await farm.SendAsync("/keep")).XCache);
    }

    [Theory]
    [InlineData("[]", "body: expected a JSON object")]
    [InlineData("{}", "body: give exactly one of \"url\" and \"prefix\"")]
    [InlineData("{\"url\": \"/x\", \"prefix\": \"/x\"}", "body: give exactly one of")]
    [InlineData("{\"url\": \"not a url\"}", "url: \"not a url\" is not an absolute http(s) URL")]
    [InlineData("{\"prefix\": \"images/\"}", "prefix: \"images/\" is neither a path starting with '/'")]
    [InlineData("{\"url\": 5}", "url: expected a string, got 5")]
    [InlineData("{\"path\": \"/x\"}", "path: unknown field")]
    public async Task A_bad_purge_request_gets_400_naming_the_field(string body, string error)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await farm.Balancer.Admin.PostAsync("api/cache/purge", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var json = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.StartsWith(error, json.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_count_hits_misses_and_stored_entries()
    {
        farm.Origin.Set("/metrics-page", 200, "m", "Cache-Control: max-age=600");
        await farm.SendAsync("/metrics-page");
        await farm.SendAsync("/metrics-page");
        var text = await farm.Balancer.Admin.GetStringAsync("metrics");
        var s = farm.Balancer.Runtime.Caches.Statistics;
        Assert.Contains("# TYPE webfarm_cache_hits_total counter", text, StringComparison.Ordinal);
        Assert.Matches(@"\nwebfarm_cache_hits_total [1-9]\d*\n", text);
        Assert.Matches(@"\nwebfarm_cache_misses_total [1-9]\d*\n", text);
        Assert.Matches(@"\nwebfarm_cache_entries [1-9]\d*\n", text);
        Assert.Matches(@"\nwebfarm_cache_bytes [1-9]\d*\n", text);
        Assert.True(s.Hits >= 1 && s.Stored >= 1);
    }

    private async Task<int> PurgeAsync(object body)
    {
        using var response = await farm.Balancer.Admin.PostAsJsonAsync("api/cache/purge", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        return json.GetProperty("purged").GetInt32();
    }
}
