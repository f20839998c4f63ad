using System.Net;
using System.Net.Http.Json;
using WebFarm.Controller.Tests.Infrastructure;
using WebFarm.Controller.Tests.MultiMachine;

namespace WebFarm.Controller.Tests.Deployments;

/// <summary>
/// Rolling deployments end to end: three machines (network namespaces) with real agents running HelloFarm releases,
/// 64 visitors on keep-alive connections posting names into their sessions through the controller's balancer, the
/// real `webfarm deploy` and `webfarm rollback`.
/// </summary>
[Collection(nameof(MultiMachineTests))] // One network at a time: the namespaces have fixed names.
public sealed class RollingDeploymentTests : DeploymentMachines
{
    private const int Visitors = 64;

    [NetnsFact]
    public async Task Deploying_v2_under_load_fails_no_request_loses_no_session_refuses_a_second_deployment_and_rollback_returns_to_v1()
    {
        await StartFarmAsync("5000-5009");
        var first = await DeployAsync(HelloFarmRelease("v1"));
        Assert.True(first.ExitCode == 0, first.Stderr + first.Stdout);
        Assert.Contains("succeeded: every server runs release 1", first.Stdout);
        await Eventually.True(async () => (await ReleasesOnPagesAsync()).Count == 3, TimeSpan.FromSeconds(60), "v1 in rotation on every server");

        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var load = new VisitorLoad();
        var visiting = load.RunAsync(Controller.Host.BalancerUrl!, Visitors, stop.Token);
        await Eventually.True(() => load.Rounds > Visitors, TimeSpan.FromSeconds(120), "the visitors' sessions work through the balancer");

        // A second deployment while the first runs is refused, naming the first.
        var v2 = HelloFarmRelease("v2");
        var deploying = DeployAsync(v2);
        var deployments = await Eventually.ReturnsAsync(
            () => Controller.ListAsync("api/deployments?app=hello"),
            list => list.Exists(IsRunningV2),
            TimeSpan.FromSeconds(120),
            "the deployment of release 2 running");
        var id = deployments.First(IsRunningV2).GetProperty("id").GetInt64();
        using (var second = await Controller.Http.PostAsJsonAsync("api/apps/hello/deployments", new { release = 1 }))
        {
            Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
            using var error = System.Text.Json.JsonDocument.Parse(await second.Content.ReadAsStringAsync());
            Assert.StartsWith($"deployment {id} of app 'hello' is running", error.RootElement.GetProperty("error").GetString());
        }

        var deployed = await deploying;
        Assert.True(deployed.ExitCode == 0, deployed.Stderr + deployed.Stdout);
        Assert.Contains("succeeded: every server runs release 2", deployed.Stdout);
        foreach (var server in (string[])["web1", "web2", "web3"])
        {
            // Plain lines when the output is not a terminal: each phase the follower saw (polled twice a second).
            Assert.Contains($"{server}: done (serving release 2)", deployed.Stdout);
        }

        Assert.Equal(new Dictionary<string, string> { ["web1"] = "v2", ["web2"] = "v2", ["web3"] = "v2" }, await ReleasesOnPagesAsync());
        var record = await DeploymentAsync(id);
        Assert.Equal("succeeded", record.GetProperty("state").GetString());
        Assert.Equal(1, record.GetProperty("previousRelease").GetInt64());
        Assert.All(record.GetProperty("servers").EnumerateArray(), s => Assert.Equal(2, s.GetProperty("release").GetInt64()));
        load.ForgetSeen();
        await Eventually.True(() => load.Seen.Count(s => s.Release == "v2") == 3 && load.Seen.All(s => s.Release == "v2"), TimeSpan.FromSeconds(60), "the balancer serves v2 from every server and nothing else");

        // Rollback: the same procedure with release 1, already on the agents (no transfer).
        var sentBefore = Controller.Host.Releases.Transfer.BlobsSent;
        var rollback = await WebFarmCli.RunAsync(CliTimeout, ["rollback", "hello", .. Api, "--health-passes", "1", "--drain-timeout", "20s"]);
        Assert.True(rollback.ExitCode == 0, rollback.Stderr + rollback.Stdout);
        Assert.Contains("rollback", rollback.Stdout);
        Assert.Contains("succeeded: every server runs release 1", rollback.Stdout);
        Assert.Equal(sentBefore, Controller.Host.Releases.Transfer.BlobsSent);
        Assert.Equal(new Dictionary<string, string> { ["web1"] = "v1", ["web2"] = "v1", ["web3"] = "v1" }, await ReleasesOnPagesAsync());

        var rounds = load.Rounds;
        await Eventually.True(() => load.Rounds > rounds + Visitors, TimeSpan.FromSeconds(60), "the visitors go on after the rollback");
        await stop.CancelAsync();
        await visiting;
        Assert.True(load.Failures.Count == 0, $"{load.Failures.Count} of {load.Requests} requests failed during deploy and rollback ({load.LostSessions} lost sessions): {string.Join("; ", load.Failures.Take(3))}");
        Assert.Equal(0, load.LostSessions);

        var all = await Controller.EventsAsync();
        var events = all.Select(e => e.GetProperty("kind").GetString()).ToList();
        Assert.Contains("deploy-started", events);
        Assert.Contains("server-updated", events);
        Assert.Contains("deploy-finished", events);

        // The gate count: the deployment's default (3 passes in a row), the rollback's --health-passes 1; both kept in
        // the record with the drain timeout, and each server's gate said so in the event stream.
        var rolledBack = await LatestAsync();
        Assert.Equal(("rollback", 1, "00:00:20"), (rolledBack.GetProperty("kind").GetString(), rolledBack.GetProperty("healthPasses").GetInt32(), rolledBack.GetProperty("drainTimeout").GetString()));
        Assert.Equal((3, "00:00:30"), (record.GetProperty("healthPasses").GetInt32(), record.GetProperty("drainTimeout").GetString()));
        var gates = all.Where(e => e.GetProperty("message").GetString()!.Contains(" gate passed: ", StringComparison.Ordinal)).Select(e => e.GetProperty("message").GetString()!).ToList();
        Assert.Equal(3, gates.Count(g => g.StartsWith($"deployment {id} of hello: ", StringComparison.Ordinal) && g.EndsWith("passed /healthz 3 time(s) in a row", StringComparison.Ordinal)));
        var rollbackId = rolledBack.GetProperty("id").GetInt64();
        Assert.Equal(3, gates.Count(g => g.StartsWith($"deployment {rollbackId} of hello: ", StringComparison.Ordinal) && g.EndsWith("passed /healthz 1 time(s) in a row", StringComparison.Ordinal)));
        var listed = await WebFarmCli.RunAsync(CliTimeout, ["deployments", "hello", .. Api]);
        Assert.True(listed.ExitCode == 0, listed.Stderr);
        Assert.Contains("gate 1 passes in 60 s, drain 20 s", listed.Stdout);

        await ADrainTimeoutCutsALongRequestAsync(to: 2);
    }

    /// <summary>
    /// The drain timeout cuts a request that outlasts it: a form post whose body never completes stays in flight on one
    /// server's instance (HelloFarm reads the form before it answers); `rollback --drain-timeout 1s` stops that instance
    /// 1 s into its drain anyway, and the request fails (the default 30 s would still be waiting). The visitors are gone
    /// by then, so the post is the only request in flight and names its server.
    /// </summary>
    private async Task ADrainTimeoutCutsALongRequestAsync(long to)
    {
        var balancer = Controller.Host.BalancerUrl!;
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(balancer.Host, balancer.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes("POST / HTTP/1.1\r\nHost: hello\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nfirstName=Ada"));
        var holder = await Eventually.ReturnsAsync(
            () => Task.FromResult(Controller.Host.Rotation.Runtime.GetFarm("hello").Servers.FirstOrDefault(s => s.InFlight > 0)?.Name),
            TimeSpan.FromSeconds(30),
            "the unfinished post in flight on a server");

        var cut = await WebFarmCli.RunAsync(CliTimeout, ["rollback", "hello", "--to", to.ToString(System.Globalization.CultureInfo.InvariantCulture), .. Api, "--drain-timeout", "1s"]);
        Assert.True(cut.ExitCode == 0, cut.Stderr + cut.Stdout);
        var record = await LatestAsync();
        Assert.Equal((to, "00:00:01"), (record.GetProperty("release").GetInt64(), record.GetProperty("drainTimeout").GetString()));

        // The post never sent the rest of its body: it is answered with a balancer error, or its connection closed.
        var answer = new byte[64];
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string outcome;
        try
        {
            var read = await stream.ReadAsync(answer, wait.Token);
            outcome = read == 0 ? "closed" : System.Text.Encoding.ASCII.GetString(answer, 0, read);
        }
        catch (IOException)
        {
            outcome = "closed";
        }

        Assert.True(outcome == "closed" || outcome.StartsWith("HTTP/1.1 5", StringComparison.Ordinal), $"the post in flight on {holder} was not cut: {outcome}");

        // Its server's drain ended with the post still in flight: after the 1 s, far before the default 30 s. The lower
        // bound allows for the drain's timer firing a few milliseconds early against the events' clock (seen: 998 ms).
        var phases = (await Controller.EventsAsync())
            .Where(e => e.GetProperty("server").GetString() == holder && e.GetProperty("message").GetString()!.StartsWith($"deployment {record.GetProperty("id").GetInt64()} of hello: {holder} ", StringComparison.Ordinal))
            .ToList();
        var draining = phases.Single(e => e.GetProperty("message").GetString()!.Contains($"{holder} draining", StringComparison.Ordinal)).GetProperty("time").GetDateTimeOffset();
        var stopping = phases.Single(e => e.GetProperty("message").GetString()!.Contains($"{holder} stopping", StringComparison.Ordinal)).GetProperty("time").GetDateTimeOffset();
        Assert.InRange(stopping - draining, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(20));
    }

    private static bool IsRunningV2(System.Text.Json.JsonElement d) => d.GetProperty("release").GetInt64() == 2 && d.GetProperty("state").GetString() == "running";
}
