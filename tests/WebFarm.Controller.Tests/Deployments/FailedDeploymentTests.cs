using System.Net.Http.Json;
using System.Text.Json;
using WebFarm.Controller.Tests.Infrastructure;
using WebFarm.Controller.Tests.MultiMachine;

namespace WebFarm.Controller.Tests.Deployments;

/// <summary>
/// Deployments that fail: a release that never becomes healthy stops after the first batch while the farm serves the
/// previous release without a failed request; --auto-rollback returns the servers already done; an agent killed
/// (SIGKILL) mid-deployment fails it naming the server.
/// </summary>
[Collection(nameof(MultiMachineTests))] // One network at a time: the namespaces have fixed names.
public sealed class FailedDeploymentTests : DeploymentMachines
{
    private const int Visitors = 64;

    [NetnsFact]
    public async Task A_release_that_never_gets_healthy_stops_after_the_first_batch_and_auto_rollback_returns_the_servers_already_done_with_no_failed_request()
    {
        // Two ports per server: the old instance has one, the new release the other.
        await StartFarmAsync("5000-5001");
        var first = await DeployAsync(HelloFarmRelease("v1"));
        Assert.True(first.ExitCode == 0, first.Stderr + first.Stdout);
        await Eventually.True(async () => (await ReleasesOnPagesAsync()).Count == 3, TimeSpan.FromSeconds(60), "v1 in rotation on every server");

        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var load = new VisitorLoad();
        var visiting = load.RunAsync(Controller.Host.BalancerUrl!, Visitors, stop.Token);
        await Eventually.True(() => load.Rounds > Visitors, TimeSpan.FromSeconds(120), "the visitors' sessions work through the balancer");

        // Release 2's appsettings.json is not JSON: HelloFarm exits at start-up, every time.
        var broken = await DeployAsync(HelloFarmRelease("broken", "{ this is not json"), "--health-timeout", "20s");
        Assert.Equal(1, broken.ExitCode);
        var failed = await LatestAsync();
        Assert.Equal("failed", failed.GetProperty("state").GetString());
        Assert.Equal(["failed", "waiting", "waiting"], failed.GetProperty("servers").EnumerateArray().Select(s => s.GetProperty("phase").GetString()));
        var web1 = failed.GetProperty("servers")[0];
        Assert.Equal(1, web1.GetProperty("release").GetInt64()); // Still serving release 1.
        Assert.Matches("^(starting|gating): release 2", web1.GetProperty("error").GetString());
        Assert.StartsWith("web1 failed in phase ", failed.GetProperty("error").GetString());
        // The app's last output lines: HelloFarm's crash on its appsettings.json.
        Assert.Contains(web1.GetProperty("output").EnumerateArray(), line => line.GetString()!.Contains("JsonReaderException", StringComparison.Ordinal));
        Assert.Contains("JsonReaderException", broken.Stderr); // The CLI prints them.
        Assert.Equal(new Dictionary<string, string> { ["web1"] = "v1", ["web2"] = "v1", ["web3"] = "v1" }, await ReleasesOnPagesAsync());
        await Eventually.True(async () => (await Controller.InstancesAsync("hello")).Count == 3, TimeSpan.FromSeconds(60), "the broken release's instance stopped on web1");

        // Release 3 is good, but web2 has no free port for it (another process holds the second port of the range):
        // web1 is done first, web2 fails to start, and --auto-rollback returns web1 to release 1.
        using var squatter = Squat(2, await FreePortOfAsync("web2"));
        var v3 = await DeployAsync(HelloFarmRelease("v3"), "--auto-rollback", "--health-timeout", "20s");
        Assert.Equal(1, v3.ExitCode);
        var rolledBack = await LatestAsync();
        Assert.Equal("rolled-back", rolledBack.GetProperty("state").GetString());
        Assert.Equal(["rolled-back", "failed", "waiting"], rolledBack.GetProperty("servers").EnumerateArray().Select(s => s.GetProperty("phase").GetString()));
        Assert.Contains("no free port", rolledBack.GetProperty("servers")[1].GetProperty("error").GetString());
        Assert.Equal(new Dictionary<string, string> { ["web1"] = "v1", ["web2"] = "v1", ["web3"] = "v1" }, await ReleasesOnPagesAsync());
        squatter.StandardInput.Close();
        await squatter.WaitForExitAsync();

        var rounds = load.Rounds;
        await Eventually.True(() => load.Rounds > rounds + Visitors, TimeSpan.FromSeconds(60), "the visitors go on after the failed deployments");
        await stop.CancelAsync();
        await visiting;
        Assert.True(load.Failures.Count == 0, $"{load.Failures.Count} of {load.Requests} requests failed during the failed deployments: {string.Join("; ", load.Failures.Take(3))}");

        var events = (await Controller.EventsAsync()).Select(e => e.GetProperty("kind").GetString()).ToList();
        Assert.Contains("deploy-failed", events);
        Assert.Contains("rolled-back", events);
    }

    [NetnsFact]
    public async Task An_agent_killed_mid_deployment_fails_the_deployment_naming_its_server_and_the_others_keep_serving()
    {
        await StartFarmAsync("5000-5009");
        var first = await DeployAsync(HelloFarmRelease("v1"));
        Assert.True(first.ExitCode == 0, first.Stderr + first.Stdout);
        await Eventually.True(async () => (await ReleasesOnPagesAsync()).Count == 3, TimeSpan.FromSeconds(60), "v1 in rotation on every server");

        var v2 = await DeployAsync(HelloFarmRelease("v2"));
        Assert.True(v2.ExitCode == 0, v2.Stderr + v2.Stdout);

        // A rollback to release 1, started through the API to know its id at once.
        using var started = await Controller.Http.PostAsJsonAsync("api/apps/hello/rollback", new { to = 1 });
        Assert.Equal(System.Net.HttpStatusCode.Accepted, started.StatusCode);
        using var body = JsonDocument.Parse(await started.Content.ReadAsStringAsync());
        var id = body.RootElement.GetProperty("id").GetInt64();

        // web2's agent dies (SIGKILL) while its turn runs.
        await Eventually.True(async () => Phase(await DeploymentAsync(id), "web2") is not "waiting", TimeSpan.FromSeconds(120), "web2's turn has started");
        var agent2 = (WebFarmProcess)Processes[1];
        ProcessProbe.KillHard(agent2.Id);

        var ended = await Eventually.ReturnsAsync(() => DeploymentAsync(id), d => d.GetProperty("state").GetString() != "running", TimeSpan.FromSeconds(120), "the deployment ended");
        Assert.Equal("failed", ended.GetProperty("state").GetString());
        Assert.StartsWith("web2 failed in phase ", ended.GetProperty("error").GetString());
        Assert.Contains("its agent is lost", ended.GetProperty("error").GetString());
        Assert.Equal("done", Phase(ended, "web1"));
        Assert.Equal("waiting", Phase(ended, "web3"));
        Assert.Equal("lost", await Controller.StateOfAsync("web2"));

        // The balancer serves from web1 (release 1 again) and web3 (release 2).
        using var http = new HttpClient { BaseAddress = Controller.Host.BalancerUrl, Timeout = TimeSpan.FromSeconds(10) };
        await Eventually.True(
            async () =>
            {
                var seen = new HashSet<string>();
                for (var i = 0; i < 20; i++)
                {
                    var page = await http.GetStringAsync("/");
                    seen.Add(page.Contains("id=\"server\">web1<", StringComparison.Ordinal) ? "web1" : page.Contains("id=\"server\">web3<", StringComparison.Ordinal) ? "web3" : "other");
                }

                return seen.SetEquals(["web1", "web3"]);
            },
            TimeSpan.FromSeconds(60),
            "web1 and web3 serve, nothing else");
    }

    /// <summary>The port of the app's two-port range that <paramref name="server"/>'s instance does not use.</summary>
    private async Task<int> FreePortOfAsync(string server)
    {
        var used = (await Controller.InstancesAsync("hello")).Single(r => r.GetProperty("server").GetString() == server).GetProperty("port").GetInt32();
        return used == 5000 ? 5001 : 5000;
    }
}
