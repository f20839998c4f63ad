using System.Text.Json;
using WebFarm.Balancer.Farms;
using WebFarm.Controller.Tests.Infrastructure;

namespace WebFarm.Controller.Tests.Availability;

/// <summary>A real controller, agents and backends: a drained server is recorded as scheduled downtime, a lost one as unscheduled; the API and `webfarm availability` report them.</summary>
public sealed class AvailabilityEndToEndTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_drained_server_is_scheduled_downtime_a_lost_one_unscheduled_and_the_farm_stays_up()
    {
        await using var controller = await TestController.StartAsync(_dir.Sub("controller"), availabilityInterval: TimeSpan.FromMilliseconds(100));
        await using var web1 = await BackendProcess.StartAsync("web1");
        await using var web2 = await BackendProcess.StartAsync("web2");
        await using var agent1 = await controller.StartAgentAsync("web1", web1.Address, _dir.Sub("agent1"), await controller.NewJoinTokenAsync());
        var agent2 = await controller.StartAgentAsync("web2", web2.Address, _dir.Sub("agent2"), await controller.NewJoinTokenAsync());
        try
        {
            await Eventually.True(async () => Subjects(await ReportAsync(controller)) == "farm:farm,app:web,server:web1,server:web2", TimeSpan.FromSeconds(60), "every subject in service and tracked");

            // An operator drains web1 (what `webfarm servers drain` does through the balancer's admin API), then brings it back.
            controller.Host.Rotation.Runtime.SetState("web", "web1", ServerState.Draining);
            await Eventually.True(async () => Downtime(await ReportAsync(controller), "web1").Any(d => d.GetProperty("scheduled").GetBoolean() && d.GetProperty("cause").GetString() == "draining (operator)"), because: "the drain is scheduled downtime");
            controller.Host.Rotation.Runtime.SetState("web", "web1", ServerState.Online);
            await Eventually.True(async () => Downtime(await ReportAsync(controller), "web1").All(d => d.GetProperty("ended").ValueKind == JsonValueKind.String), because: "it ends when web1 is back online");
        }
        finally
        {
            await agent2.DisposeAsync();
        }

        // web2's agent stops heartbeating: lost after 5 missed, an open unscheduled interval.
        await Eventually.True(async () => Downtime(await ReportAsync(controller), "web2").Any(d => !d.GetProperty("scheduled").GetBoolean() && d.GetProperty("cause").GetString() == "agent lost (no heartbeats)" && d.GetProperty("ended").ValueKind == JsonValueKind.Null), TimeSpan.FromSeconds(20), "web2's loss is open unscheduled downtime");

        var report = await ReportAsync(controller);
        var server1 = Subject(report, "web1");
        Assert.True(server1.GetProperty("scheduledDowntimeSeconds").GetDouble() > 0);
        Assert.Equal(0, server1.GetProperty("unscheduledDowntimeSeconds").GetDouble());
        Assert.True(server1.GetProperty("availabilityPercent").GetDouble() < 100);
        Assert.Equal(100, server1.GetProperty("unscheduledAvailabilityPercent").GetDouble());
        Assert.True(Subject(report, "web2").GetProperty("unscheduledDowntimeSeconds").GetDouble() > 0);

        // One server was always in rotation: the farm and the app had no downtime.
        Assert.Equal((100.0, JsonValueKind.Null, 0), (Subject(report, "farm").GetProperty("availabilityPercent").GetDouble(), Subject(report, "farm").GetProperty("nines").ValueKind, Subject(report, "farm").GetProperty("outages").GetInt32()));

        // The CLI prints both, the lost one as ongoing.
        await using var cli = WebFarmProcess.Start(null, "availability", "--controller", controller.Host.Url.ToString(), "--since", "1h");
        var (code, output) = await cli.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(code == 0, output);
        Assert.Contains("draining (operator)", output);
        Assert.Contains("agent lost (no heartbeats)", output);
        Assert.Contains("ongoing", output);

        // Bad input: a clear error each, from the API and the CLI.
        Assert.Equal((400, "since: unknown duration unit 'weeks' in \"2weeks\" (use ms, s, m, h or d)"), await GetErrorAsync(controller, "api/availability?since=2weeks"));
        Assert.Equal((400, "since: '0s' must be a positive duration, like 7d or 12h"), await GetErrorAsync(controller, "api/availability?since=0s"));
        Assert.Equal((404, "app: no app named 'shop' has been in service (apps: web)"), await GetErrorAsync(controller, "api/availability?app=shop"));
        await using var unknown = WebFarmProcess.Start(null, "availability", "--controller", controller.Host.Url.ToString(), "--app", "shop");
        var (unknownCode, unknownOutput) = await unknown.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(1, unknownCode);
        Assert.Contains("no app named 'shop'", unknownOutput);
    }

    private static async Task<JsonElement> ReportAsync(TestController controller)
    {
        using var json = JsonDocument.Parse(await controller.Http.GetStringAsync("api/availability?since=1h"));
        return json.RootElement.Clone();
    }

    private static string Subjects(JsonElement report)
        => string.Join(",", report.GetProperty("subjects").EnumerateArray().Select(s => $"{s.GetProperty("kind").GetString()}:{s.GetProperty("name").GetString()}"));

    private static JsonElement Subject(JsonElement report, string name)
        => report.GetProperty("subjects").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name);

    private static List<JsonElement> Downtime(JsonElement report, string subject)
        => [.. report.GetProperty("downtime").EnumerateArray().Where(d => d.GetProperty("subject").GetString() == subject)];

    private static async Task<(int Status, string Error)> GetErrorAsync(TestController controller, string path)
    {
        using var response = await controller.Http.GetAsync(path);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return ((int)response.StatusCode, json.RootElement.GetProperty("error").GetString()!);
    }
}
