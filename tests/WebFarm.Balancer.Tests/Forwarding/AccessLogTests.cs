using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Forwarding;

public sealed class AccessLogTests
{
    [Fact]
    public async Task Access_log_is_off_by_default_and_writes_one_line_per_request_when_on()
    {
        await using var backend = await TestBackend.StartNamedAsync("a");
        var provider = new CapturingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(provider).SetMinimumLevel(LogLevel.Information));

        await using (var off = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend), loggerFactory: loggerFactory))
        {
            await off.Client.GetStringAsync("/quiet");
        }

        Assert.DoesNotContain(provider.Entries, e => e.Category == "WebFarm.AccessLog");

        await using var on = await TestBalancer.StartAsync(TestBalancer.SingleFarm(backend) with { AccessLog = true }, loggerFactory: loggerFactory);
        using var response = await on.Client.GetAsync("/logged?x=1");
        var id = response.Headers.GetValues("X-Request-Id").Single();

        // The line is written once the response has gone out (its elapsed time includes sending it), so the client
        // can have the response a moment before the line exists.
        await Eventually.True(() => provider.Entries.Any(e => e.Category == "WebFarm.AccessLog"), because: "the access log line");
        var line = Assert.Single(provider.Entries, e => e.Category == "WebFarm.AccessLog").Message;
        Assert.Contains("\"GET ", line);
        Assert.Contains("/logged?x=1", line);
        Assert.Contains(" 200 web/web1 ", line);
        Assert.Contains("id=" + id, line);

        // Framework per-request logs stay out of the way (only warnings pass).
        Assert.DoesNotContain(provider.Entries, e => e.Category.StartsWith("Microsoft.AspNetCore.Hosting", StringComparison.Ordinal) && e.Level < LogLevel.Warning);
    }
}
