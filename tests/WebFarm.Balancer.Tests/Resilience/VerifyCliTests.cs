using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Resilience;

/// <summary>`webfarm servers verify NAME` (ARR's "Verify URL test") as a real process against a real balancer.</summary>
public sealed class VerifyCliTests
{
    [Fact]
    public async Task Verify_prints_url_status_latency_verdict_and_body_excerpt()
    {
        var backends = await BackendProcess.StartManyAsync(1);
        try
        {
            var config = TestBalancer.SingleFarm(backends.Select(b => b.Address), f => f with
            {
                Health = new HealthCheckOptions { Path = "/health", Interval = TimeSpan.FromHours(1) },
            });
            await using var balancer = await TestBalancer.StartAsync(config);
            var admin = balancer.AdminUri!.ToString();

            var healthy = await WebfarmProcess.RunAsync("servers", "verify", "web1", "--admin", admin, "--farm", "web");
            Assert.True(healthy.ExitCode == 0, healthy.Output + healthy.Error);
            Assert.Contains(new Uri(backends[0].Uri, "/health").ToString(), healthy.Output, StringComparison.Ordinal);
            Assert.Contains("200", healthy.Output, StringComparison.Ordinal);
            Assert.Contains(" ms", healthy.Output, StringComparison.Ordinal);
            Assert.Contains("healthy", healthy.Output, StringComparison.Ordinal);
            Assert.Contains("ok", healthy.Output, StringComparison.Ordinal); // the body excerpt

            await backends[0].SetHealthStatusAsync(503);
            var sick = await WebfarmProcess.RunAsync("servers", "verify", "web1", "--admin", admin);
            Assert.NotEqual(0, sick.ExitCode);
            Assert.Contains("503", sick.Output, StringComparison.Ordinal);
            Assert.Contains("unhealthy", sick.Output, StringComparison.Ordinal);
            Assert.Contains("status 503 not in", sick.Output, StringComparison.Ordinal); // the table may wrap the reason
            Assert.Contains("200-399", sick.Output, StringComparison.Ordinal);
            Assert.True(balancer.Runtime.GetServer("web", "web1").Healthy); // verify never changes health

            var unknown = await WebfarmProcess.RunAsync("servers", "verify", "web9", "--admin", admin);
            Assert.NotEqual(0, unknown.ExitCode);
            Assert.Contains("web9", unknown.Output + unknown.Error, StringComparison.Ordinal);
        }
        finally
        {
            await backends[0].DisposeAsync();
        }
    }
}
