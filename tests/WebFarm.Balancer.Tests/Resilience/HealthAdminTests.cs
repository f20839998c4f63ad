using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Resilience;

/// <summary>Health as operators see it: the admin API's server JSON, "verify now", and /metrics.</summary>
public sealed class HealthAdminTests
{
    private static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task Server_json_and_metrics_show_health_and_the_last_check_result()
    {
        var status = 200;
        await using var backend = await TestBackend.StartAsync(c =>
        {
            c.Response.StatusCode = c.Request.Path == "/health" ? Volatile.Read(ref status) : 200;
            return c.Response.WriteAsync("fine");
        });
        var config = TestBalancer.SingleFarm([backend.Address], f => f with
        {
            Health = new HealthCheckOptions { Path = "/health", Interval = TimeSpan.FromMilliseconds(200), Timeout = TimeSpan.FromSeconds(1), Fall = 1 },
        });
        await using var balancer = await TestBalancer.StartAsync(config);

        JsonElement server = default;
        await Eventually.True(
            async () =>
            {
                server = await Json(await balancer.Admin.GetAsync("/api/farms/web/servers/web1"));
                // The very first probe may meet a cold (still JIT-compiling) backend; wait for a passing one.
                return server.GetProperty("lastCheck").ValueKind == JsonValueKind.Object
                    && server.GetProperty("lastCheck").GetProperty("healthy").GetBoolean()
                    && server.GetProperty("healthy").GetBoolean();
            },
            TimeSpan.FromSeconds(10),
            "a passing check was reported");
        var check = server.GetProperty("lastCheck");
        Assert.True(server.GetProperty("healthy").GetBoolean());
        Assert.Equal(200, check.GetProperty("statusCode").GetInt32());
        Assert.True(check.GetProperty("healthy").GetBoolean(), check.ToString());
        Assert.Equal("fine", check.GetProperty("bodyExcerpt").GetString());
        Assert.True(check.GetProperty("latencyMs").GetDouble() >= 0);

        Volatile.Write(ref status, 503);
        await Eventually.True(() => !balancer.Runtime.GetServer("web", "web1").Healthy, TimeSpan.FromSeconds(10), "web1 unhealthy");
        server = await Json(await balancer.Admin.GetAsync("/api/farms/web/servers/web1"));
        Assert.False(server.GetProperty("healthy").GetBoolean());
        Assert.Equal(503, server.GetProperty("lastCheck").GetProperty("statusCode").GetInt32());
        Assert.Contains("503", server.GetProperty("lastCheck").GetProperty("reason").GetString(), StringComparison.Ordinal);

        var metrics = await balancer.Admin.GetStringAsync("/metrics");
        Assert.Matches("""webfarm_server_healthy\{[^}]*server="web1"[^}]*\} 0""", metrics);
        Assert.Matches("""webfarm_server_health_check_passed\{[^}]*server="web1"[^}]*\} 0\n""", metrics);
        Assert.Matches("""webfarm_server_health_check_status\{[^}]*server="web1"[^}]*\} 503\n""", metrics);
        Assert.Matches("""webfarm_server_health_check_latency_seconds\{[^}]*server="web1"[^}]*\} [0-9.e-]+\n""", metrics);
    }

    [Fact]
    public async Task Verify_runs_one_probe_and_reports_status_latency_excerpt_and_verdict_without_changing_health()
    {
        await using var backend = await TestBackend.StartAsync(c =>
        {
            if (c.Request.Path == "/health")
            {
                c.Response.StatusCode = 503;
                return c.Response.WriteAsync("maintenance\u001b[0m until 10:00");
            }

            return c.Response.WriteAsync("page");
        });
        var config = TestBalancer.SingleFarm([backend.Address], f => f with
        {
            // Checked hourly: only "verify" probes during this test.
            Health = new HealthCheckOptions { Path = "/health", Interval = TimeSpan.FromHours(1), Fall = 1 },
        });
        await using var balancer = await TestBalancer.StartAsync(config);

        var result = await Json(await balancer.Admin.PostAsync("/api/farms/web/servers/web1/verify", null));
        Assert.Equal(503, result.GetProperty("statusCode").GetInt32());
        Assert.False(result.GetProperty("healthy").GetBoolean());
        Assert.Equal("maintenance [0m until 10:00", result.GetProperty("bodyExcerpt").GetString());
        Assert.Equal(new Uri(backend.Uri, "/health").ToString(), result.GetProperty("url").GetString());
        Assert.Contains("status 503 not in 200-399", result.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.True(result.GetProperty("latencyMs").GetDouble() >= 0);

        // A verify is a test, not a check: the server stays in rotation.
        Assert.True(balancer.Runtime.GetServer("web", "web1").Healthy);
        Assert.Equal("page", await balancer.Client.GetStringAsync("/"));

        using var missing = await balancer.Admin.PostAsync("/api/farms/web/servers/nope/verify", null);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
