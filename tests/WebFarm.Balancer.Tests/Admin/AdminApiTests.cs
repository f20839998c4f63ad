using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Hosting;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Admin;

/// <summary>The admin API: farms and servers, live changes, bad input, events (poll and SSE), /metrics, auth.</summary>
public sealed class AdminApiTests
{
    private static async Task<JsonElement> Json(HttpResponseMessage response)
        => JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private static async Task AssertError(HttpResponseMessage response, HttpStatusCode status, string text)
    {
        Assert.Equal(status, response.StatusCode);
        var error = (await Json(response)).GetProperty("error").GetString();
        Assert.Contains(text, error);
    }

    [Fact]
    public async Task Lists_farms_and_changes_servers_live()
    {
        await using var a = await TestBackend.StartNamedAsync("a");
        await using var b = await TestBackend.StartNamedAsync("b");
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(a));
        var admin = balancer.Admin;

        var farms = await Json(await admin.GetAsync("/api/farms"));
        Assert.Equal("web", farms[0].GetProperty("name").GetString());
        Assert.Equal("roundRobin", JsonNamingPolicy.CamelCase.ConvertName(farms[0].GetProperty("loadBalancing").GetString()!));
        var server = farms[0].GetProperty("servers")[0];
        Assert.Equal("web1", server.GetProperty("name").GetString());
        Assert.Equal("online", server.GetProperty("state").GetString());
        Assert.True(server.GetProperty("healthy").GetBoolean());

        using (var added = await admin.PostAsJsonAsync("/api/farms/web/servers", new { name = "web2", address = b.Address, weight = 2 }))
        {
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
            Assert.Equal("/api/farms/web/servers/web2", added.Headers.Location!.ToString());
            Assert.Equal(2, (await Json(added)).GetProperty("weight").GetInt32());
        }

        Assert.Equal("offline", (await Json(await admin.PostAsync("/api/farms/web/servers/web1/offline", null))).GetProperty("state").GetString());
        Assert.Equal("b", await balancer.Client.GetStringAsync("/"));

        Assert.Equal(5, (await Json(await admin.PutAsJsonAsync("/api/farms/web/servers/web2/weight", new { weight = 5 }))).GetProperty("weight").GetInt32());
        Assert.Equal("draining", (await Json(await admin.PostAsync("/api/farms/web/servers/web2/drain", null))).GetProperty("state").GetString());
        Assert.Equal("online", (await Json(await admin.PostAsync("/api/farms/web/servers/web1/online", null))).GetProperty("state").GetString());
        Assert.Equal("a", await balancer.Client.GetStringAsync("/"));

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/api/farms/web/servers/web2")).StatusCode);
        var servers = await Json(await admin.GetAsync("/api/farms/web/servers"));
        Assert.Equal(1, servers.GetArrayLength());

        var stats = await Json(await admin.GetAsync("/api/stats"));
        Assert.Equal(1, stats[0].GetProperty("servers")[0].GetProperty("responses2xx").GetInt64());
    }

    /// <summary>
    /// `"healthy": false`: the server is added out of rotation. Under load from before the add, it gets no request (only
    /// health probes) while its check fails, however many checks that takes; it joins once its check passes.
    /// </summary>
    [Fact]
    public async Task A_server_added_with_healthy_false_gets_no_request_until_its_check_passes_then_joins()
    {
        var ready = 0;
        await using var a = await TestBackend.StartNamedAsync("a");
        await using var b = await TestBackend.StartAsync(async context =>
        {
            if (context.Request.Path == "/health")
            {
                context.Response.StatusCode = Volatile.Read(ref ready) == 1 ? 200 : 503;
                return;
            }

            await context.Response.WriteAsync("b");
        });
        var health = new HealthCheckOptions { Path = "/health", Interval = TimeSpan.FromMilliseconds(100), Timeout = TimeSpan.FromSeconds(2), Rise = 2, Fall = 1 };
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm([a.Address], f => f with { Health = health }));

        // Load from before the add to after the checks have failed a few times: bounded in count and in time.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var answers = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var load = Task.Run(async () =>
        {
            try
            {
                for (var i = 0; i < 100_000 && !stop.IsCancellationRequested; i++)
                {
                    answers.AddOrUpdate(await balancer.Client.GetStringAsync("/", stop.Token), 1, (_, n) => n + 1);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        });
        await Eventually.True(() => answers.Values.Sum() >= 20, TimeSpan.FromSeconds(30), "the load runs");

        using (var added = await balancer.Admin.PostAsJsonAsync("/api/farms/web/servers", new { name = "web2", address = b.Address, healthy = false }))
        {
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
            var body = await Json(added);
            Assert.False(body.GetProperty("healthy").GetBoolean());
            Assert.Equal("online", body.GetProperty("state").GetString());
        }

        var before = answers.Values.Sum();
        await Eventually.True(() => b.Hits("/health") >= 5 && answers.Values.Sum() >= before + 50, TimeSpan.FromSeconds(30), "five failed checks of web2 under load");
        Assert.Equal(b.Hits("/health"), b.Requests); // Health probes only: no request reached it.
        Assert.False(answers.ContainsKey("b"));

        var events = await Json(await balancer.Admin.GetAsync("/api/events"));
        Assert.Contains(events.EnumerateArray(), e => e.GetProperty("kind").GetString() == "failed" && e.GetProperty("server").GetString() == "web2"
            && e.GetProperty("message").GetString()!.Contains("\"healthy\": false; it joins once its health check passes", StringComparison.Ordinal));

        Volatile.Write(ref ready, 1);
        await Eventually.True(() => answers.ContainsKey("b"), TimeSpan.FromSeconds(30), "web2 joins once its check passes");
        Assert.True(balancer.Runtime.GetServer("web", "web2").Healthy);
        await stop.CancelAsync();
        await load; // Every request of the load was answered.
    }

    [Fact]
    public async Task Offline_with_drain_goes_offline_by_itself_when_idle()
    {
        await using var a = await TestBackend.StartNamedAsync("a");
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(a));

        var answer = await Json(await balancer.Admin.PostAsync("/api/farms/web/servers/web1/offline?drain=true", null));

        Assert.Equal("draining", answer.GetProperty("state").GetString());
        await Eventually.True(() => balancer.Runtime.Farms["web"].Servers[0].State == ServerState.Offline);
    }

    [Fact]
    public async Task Bad_input_is_400_naming_the_field_and_unknown_names_are_404()
    {
        await using var a = await TestBackend.StartNamedAsync("a");
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(a));
        var admin = balancer.Admin;

        await AssertError(await admin.PutAsJsonAsync("/api/farms/web/servers/web1/weight", new { weight = 20000 }), HttpStatusCode.BadRequest, "weight: 20000 is out of range");
        await AssertError(await admin.PutAsJsonAsync("/api/farms/web/servers/web1/weight", new { weight = "heavy" }), HttpStatusCode.BadRequest, "weight: expected a whole number");
        await AssertError(await admin.PutAsJsonAsync("/api/farms/web/servers/web1/weight", new { wieght = 2 }), HttpStatusCode.BadRequest, "wieght: unknown field");
        await AssertError(await admin.PutAsync("/api/farms/web/servers/web1/weight", new StringContent("{not json", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest, "body: not valid JSON");
        await AssertError(await admin.PostAsJsonAsync("/api/farms/web/servers", new { name = "x" }), HttpStatusCode.BadRequest, "Address: is required");
        await AssertError(await admin.PostAsJsonAsync("/api/farms/web/servers", new { name = "x", address = "ftp://x" }), HttpStatusCode.BadRequest, "Address:");
        await AssertError(await admin.PostAsJsonAsync("/api/farms/web/servers", new { name = "x", address = "http://a:1", weight = -1 }), HttpStatusCode.BadRequest, "Weight:");
        await AssertError(await admin.PostAsJsonAsync("/api/farms/web/servers", new { name = "web1", address = a.Address }), HttpStatusCode.Conflict, "already has a server named 'web1'");
        await AssertError(await admin.PostAsJsonAsync("/api/farms/web/servers", new { name = "x", address = "http://a:1", healthy = "no" }), HttpStatusCode.BadRequest, "healthy: expected true or false");
        await AssertError(await admin.PostAsJsonAsync("/api/farms/web/servers", new { name = "x", address = "http://a:1", healty = false }), HttpStatusCode.BadRequest, "Health, healthy)");
        // The farm has no active health check: nothing would ever bring such a server in.
        await AssertError(await admin.PostAsJsonAsync("/api/farms/web/servers", new { name = "x", address = "http://a:1", healthy = false }), HttpStatusCode.BadRequest, "healthy: false needs an active health check, and farm 'web' has none");
        await AssertError(await admin.GetAsync("/api/events?since=abc"), HttpStatusCode.BadRequest, "since: must be a non-negative whole number");
        await AssertError(await admin.PostAsync("/api/farms/web/servers/web1/offline?drain=maybe", null), HttpStatusCode.BadRequest, "drain: must be true or false");
        await AssertError(await admin.GetAsync("/api/farms/nope"), HttpStatusCode.NotFound, "no farm named 'nope'");
        await AssertError(await admin.PostAsync("/api/farms/web/servers/nope/drain", null), HttpStatusCode.NotFound, "no server named 'nope' in farm 'web'");
        await AssertError(await admin.GetAsync("/api/unknown"), HttpStatusCode.NotFound, "no admin endpoint");

        // Nothing changed.
        Assert.Equal(1, balancer.Runtime.Farms["web"].Servers[0].Weight);
        Assert.Single(balancer.Runtime.Farms["web"].Servers);
    }

    [Fact]
    public async Task Events_are_served_since_a_sequence_and_streamed_over_sse()
    {
        await using var a = await TestBackend.StartNamedAsync("a");
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(a));
        var admin = balancer.Admin;
        balancer.Runtime.SetState("web", "web1", ServerState.Draining);

        var all = await Json(await admin.GetAsync("/api/events"));
        Assert.Equal("draining", all[0].GetProperty("kind").GetString());
        var last = all[all.GetArrayLength() - 1].GetProperty("sequence").GetInt64();
        Assert.Equal(0, (await Json(await admin.GetAsync($"/api/events?since={last}"))).GetArrayLength());

        using var stream = await admin.GetStreamAsync($"/api/events/stream?since={last}");
        using var reader = new StreamReader(stream);
        balancer.Runtime.SetState("web", "web1", ServerState.Offline);
        var lines = new List<string>();
        while (!lines.Any(l => l.StartsWith("data:", StringComparison.Ordinal) && l.Contains("\"offline\"", StringComparison.Ordinal)))
        {
            var line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.NotNull(line);
            lines.Add(line);
        }

        Assert.Contains(lines, l => l.StartsWith("id: ", StringComparison.Ordinal));
        Assert.Contains("event: going-offline", lines);
    }

    [Fact]
    public async Task Metrics_are_prometheus_text()
    {
        await using var a = await TestBackend.StartNamedAsync("a");
        await using var balancer = await TestBalancer.StartAsync(TestBalancer.SingleFarm(a));
        await balancer.Client.GetStringAsync("/");

        using var response = await balancer.Admin.GetAsync("/metrics");
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.ToString());
        var text = await response.Content.ReadAsStringAsync();
        var sample = new Regex("^[a-zA-Z_:][a-zA-Z0-9_:]*(\\{[^}]*\\})? -?[0-9.eE+-]+(NaN|Inf)?$");
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.True(line.StartsWith('#') || sample.IsMatch(line), $"not a Prometheus line: {line}");
        }

        Assert.Contains("farm=\"web\"", text);
    }

    [Fact]
    public async Task A_configured_token_is_required_and_checked()
    {
        await using var a = await TestBackend.StartNamedAsync("a");
        const string token = "s3cret-token-0123456789";
        var config = TestBalancer.SingleFarm(a) with { Admin = new AdminOptions { Token = token } };
        await using var balancer = await TestBalancer.StartAsync(config);

        Assert.Equal(HttpStatusCode.Unauthorized, (await balancer.Admin.GetAsync("/api/farms")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await balancer.Admin.GetAsync("/metrics")).StatusCode);
        balancer.UseAdminToken("wrong-token-0123456789");
        var denied = await balancer.Admin.PostAsync("/api/farms/web/servers/web1/offline", null);
        Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
        Assert.Equal(ServerState.Online, balancer.Runtime.Farms["web"].Servers[0].State);

        balancer.UseAdminToken(token);
        Assert.Equal(HttpStatusCode.OK, (await balancer.Admin.GetAsync("/api/farms")).StatusCode);
    }

    [Fact]
    public async Task Healthz_answers_without_the_token_and_503_once_the_balancer_stops()
    {
        await using var a = await TestBackend.StartNamedAsync("a");
        var config = TestBalancer.SingleFarm(a) with { Admin = new AdminOptions { Token = "s3cret-token-0123456789" } };
        await using var balancer = await TestBalancer.StartAsync(config);

        // keepalived's track script (docs/vip.md) has no token: liveness is open, everything else stays closed.
        using (var healthy = await balancer.Admin.GetAsync("/healthz"))
        {
            Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await balancer.Admin.PostAsync("/healthz", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await balancer.Admin.GetAsync("/api/farms")).StatusCode);

        // What StopAsync does first, before the listeners drain: the address should move while they do.
        balancer.Runtime.MarkStopping();
        await AssertError(await balancer.Admin.GetAsync("/healthz"), HttpStatusCode.ServiceUnavailable, "stopping");
    }

    [Fact]
    public async Task A_non_loopback_admin_listener_needs_a_token()
    {
        await using var a = await TestBackend.StartNamedAsync("a");
        var config = TestBalancer.SingleFarm(a);

        var refused = await Assert.ThrowsAsync<ConfigException>(() => TestBalancer.StartAsync(config, adminListen: "http://0.0.0.0:0"));
        Assert.Contains(refused.Errors, e => e.Path == "$.Admin.Token" && e.Reason.Contains("not loopback"));

        // With a token it starts, and the token is enforced (reached through loopback here).
        await using var balancer = await TestBalancer.StartAsync(config with { Admin = new AdminOptions { Token = "another-token-0123456789" } }, adminListen: "http://0.0.0.0:0");
        var local = new Uri($"http://127.0.0.1:{balancer.AdminUri!.Port}/api/farms");
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(local)).StatusCode);
        http.DefaultRequestHeaders.Authorization = new("Bearer", "another-token-0123456789");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(local)).StatusCode);
    }
}
