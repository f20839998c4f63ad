using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using WebFarm.Controller.Tests.Infrastructure;
using WebFarm.Controller.Tests.MultiMachine;

namespace WebFarm.Controller.Tests.Deployments;

/// <summary>
/// Staging end to end (`webfarm deploy --stage`, `webfarm promote`, `webfarm unstage`): three machines (network
/// namespaces) with real agents running HelloFarm releases, visitors posting into their sessions through the
/// controller's balancer the whole time. A staged release is reached only with its header or stage path; promoting it
/// makes its running instances the serving ones with no failed request.
/// </summary>
[Collection(nameof(MultiMachineTests))] // One network at a time: the namespaces have fixed names.
public sealed class StagingTests : DeploymentMachines
{
    private const int Visitors = 16;
    private static readonly string[] Servers = ["web1", "web2", "web3"];

    [NetnsFact]
    public async Task A_staged_release_is_reached_only_with_its_header_or_path_and_promote_makes_it_live_with_no_failed_request()
    {
        await StartFarmAsync("5000-5009");
        var first = await DeployAsync(HelloFarmRelease("v1"));
        Assert.True(first.ExitCode == 0, first.Stderr + first.Stdout);
        await Eventually.True(async () => (await ReleasesOnPagesAsync()).Count == 3, TimeSpan.FromSeconds(60), "v1 in rotation on every server");

        // Bad input: each refused with what and why, and nothing staged.
        var v2 = HelloFarmRelease("v2");
        var badPath = await DeployAsync(v2, "--stage", "--stage-path", "v2");
        Assert.Equal(2, badPath.ExitCode);
        Assert.Contains("--stage-path: 'v2' must be a path prefix starting with '/'", badPath.Stderr);
        Assert.Single(await Controller.ListAsync("api/apps/hello/releases")); // Refused before the upload.
        await AssertRefusedAsync("api/apps/hello/stage", new { release = 1, stagePath = "/" }, HttpStatusCode.BadRequest, "stagePath: '/' is the whole site");
        await AssertRefusedAsync("api/apps/hello/stage", new { release = 1, stagePath = "/v2/../admin" }, HttpStatusCode.BadRequest, "stagePath: '/v2/../admin' has an empty, '.' or '..' segment");
        await AssertRefusedAsync("api/apps/nope/stage", new { release = 1 }, HttpStatusCode.NotFound, "no app named 'nope'");
        await AssertRefusedAsync("api/apps/hello/stage", new { release = 1 }, HttpStatusCode.Conflict, "release 1 is the release app 'hello' serves");
        await AssertRefusedAsync("api/apps/hello/promote", new { release = 1 }, HttpStatusCode.Conflict, "release 1 of app 'hello' is not staged: nothing is");

        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var load = new VisitorLoad();
        var visiting = load.RunAsync(Controller.Host.BalancerUrl!, Visitors, stop.Token);
        await Eventually.True(() => load.Rounds > Visitors, TimeSpan.FromSeconds(120), "the visitors' sessions work through the balancer");

        var staged = await DeployAsync(v2, "--stage", "--stage-path", "/v2");
        Assert.True(staged.ExitCode == 0, staged.Stderr + staged.Stdout);
        Assert.Contains("staged: release 2 runs on web1, web2, web3, out of rotation", staged.Stdout);
        var stage = await StageAsync();
        Assert.Equal(("stage", "staged", "/v2"), (stage.GetProperty("kind").GetString(), stage.GetProperty("state").GetString(), stage.GetProperty("stagePath").GetString()));
        Assert.All(stage.GetProperty("servers").EnumerateArray(), s => Assert.Equal(("staged", 1), (s.GetProperty("phase").GetString(), s.GetProperty("release").GetInt64())));
        var releases = await WebFarmCli.RunAsync(CliTimeout, ["releases", "hello", .. Api]);
        Assert.True(releases.ExitCode == 0, releases.Stderr);
        Assert.Contains("staged on web1, web2, web3, path /v2", releases.Stdout);

        // Ordinary requests: v1 only, from every server. The header or the path: v2 (the prefix stripped), from every server.
        var stagedInstances = await InstancesOfAsync(2);
        Assert.Equal(Servers, stagedInstances.Keys.Order(StringComparer.Ordinal));
        load.ForgetSeen();
        var rounds = load.Rounds;
        var byHeader = await PagesAsync("/", release: 2, count: 30);
        var byPath = await PagesAsync("/v2/about", release: null, count: 30);
        var liveHeader = await PagesAsync("/", release: 1, count: 6);
        await Eventually.True(() => load.Rounds > rounds + Visitors, TimeSpan.FromSeconds(60), "the visitors go on while v2 is staged");
        Assert.All(load.Seen, s => Assert.Equal("v1", s.Release));
        Assert.Equal(["v2"], byHeader.Select(p => p.Release).Distinct());
        Assert.Equal(["v2"], byPath.Select(p => p.Release).Distinct());
        Assert.Equal(["v1"], liveHeader.Select(p => p.Release).Distinct());

        // A staged instance that crashes and comes back on another port (another process took its port meanwhile) is
        // moved in the stage farm: the header reaches it there, from web1 too.
        using var squatters = new SquatterSet();
        var moved = await CrashOntoAnotherPortAsync("web1", 1, squatters);
        await Eventually.True(
            () => Controller.Host.Rotation.Runtime.GetFarm("hello.stage").FindServer("web1") is { IsAvailable: true } entry && entry.Address.Port == moved.Port,
            TimeSpan.FromSeconds(60),
            $"web1's entry in the stage farm at the staged instance's new port {moved.Port}");
        var afterMove = await PagesAsync("/", release: 2, count: 30);
        Assert.Equal(["v2"], afterMove.Select(p => p.Release).Distinct());
        Assert.Contains(afterMove, p => p.Server == "web1");
        stagedInstances = await InstancesOfAsync(2);

        // Promote: a wrong id is refused naming the stage; the right one rolls v2 out on its staged instances.
        await AssertRefusedAsync("api/apps/hello/promote", new { release = 3 }, HttpStatusCode.NotFound, "release: app 'hello' has no release 3");
        await AssertRefusedAsync("api/apps/hello/promote", new { release = 1 }, HttpStatusCode.Conflict, "release 1 of app 'hello' is not staged; release 2 is (deployment");
        var promoted = await WebFarmCli.RunAsync(CliTimeout, ["promote", "hello", "2", .. Api]);
        Assert.True(promoted.ExitCode == 0, promoted.Stderr + promoted.Stdout);
        Assert.Contains("succeeded: every server runs release 2", promoted.Stdout);
        Assert.Equal(new Dictionary<string, string> { ["web1"] = "v2", ["web2"] = "v2", ["web3"] = "v2" }, await ReleasesOnPagesAsync());
        var serving = await InstancesOfAsync(2);
        Assert.Equal(stagedInstances, serving); // The same processes: promoted, not started again.
        Assert.Equal("promoted", (await DeploymentAsync(stage.GetProperty("id").GetInt64())).GetProperty("state").GetString());
        await AssertRefusedAsync("api/apps/hello/stage", null, HttpStatusCode.NotFound, "nothing is staged for app 'hello'", HttpMethod.Get);
        load.ForgetSeen();
        await Eventually.True(() => load.Seen.Count(s => s.Release == "v2") == 3 && load.Seen.All(s => s.Release == "v2"), TimeSpan.FromSeconds(60), "the balancer serves v2 from every server and nothing else");
        await stop.CancelAsync();
        await visiting;
        Assert.True(load.Failures.Count == 0, $"{load.Failures.Count} of {load.Requests} requests failed while staging and promoting ({load.LostSessions} lost sessions): {string.Join("; ", load.Failures.Take(3))}");
        Assert.Equal(0, load.LostSessions);

        // The stage path's route left with the stage: /v2/about now reaches the live app as it is (which has no such page).
        using (var http = new HttpClient { BaseAddress = Controller.Host.BalancerUrl })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/v2/about")).StatusCode);
        }

        // Staging again replaces the stage; unstage stops it. Either way its header reaches the live release again.
        Assert.Equal(0, (await DeployAsync(HelloFarmRelease("v3"), "--stage")).ExitCode);
        Assert.Equal(["v3"], (await PagesAsync("/", release: 3, count: 3)).Select(p => p.Release).Distinct());
        var replacing = await DeployAsync(HelloFarmRelease("v4"), "--stage");
        Assert.True(replacing.ExitCode == 0, replacing.Stderr + replacing.Stdout);
        await Eventually.True(async () => (await InstancesOfAsync(3)).Count == 0, TimeSpan.FromSeconds(60), "the replaced stage's instances stop");
        Assert.Equal(["v2"], (await PagesAsync("/", release: 3, count: 3)).Select(p => p.Release).Distinct());
        var unstaged = await WebFarmCli.RunAsync(CliTimeout, ["unstage", "hello", .. Api]);
        Assert.True(unstaged.ExitCode == 0, unstaged.Stderr + unstaged.Stdout);
        Assert.Contains("unstaged release 4 of hello", unstaged.Stdout);
        await Eventually.True(async () => (await InstancesOfAsync(4)).Count == 0, TimeSpan.FromSeconds(60), "the unstaged instances stop");
        Assert.Equal(["v2"], (await PagesAsync("/", release: 4, count: 3)).Select(p => p.Release).Distinct());
        var again = await WebFarmCli.RunAsync(CliTimeout, ["unstage", "hello", .. Api]);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("409 nothing is staged for app 'hello'", again.Stderr);

        // A stage survives a controller restart: the new leader restores it from the store (its farm, its routes, each
        // server's staged instance, which the agents kept running), and it can be unstaged there.
        var v5 = await DeployAsync(HelloFarmRelease("v5"), "--stage", "--stage-path", "/v5");
        Assert.True(v5.ExitCode == 0, v5.Stderr + v5.Stdout);
        var stagedV5 = await InstancesOfAsync(5);
        var stageId = (await StageAsync()).GetProperty("id").GetInt64();
        await RestartControllerAsync();
        await Eventually.True(
            () => Controller.Host.Rotation.Runtime.Farms.TryGetValue("hello.stage", out var farm) && farm.Servers.Count(s => s.IsAvailable) == 3,
            TimeSpan.FromSeconds(90),
            "the restored stage farm with every server's staged instance");
        var restored = await StageAsync();
        Assert.Equal((stageId, "staged", "/v5"), (restored.GetProperty("id").GetInt64(), restored.GetProperty("state").GetString(), restored.GetProperty("stagePath").GetString()));
        Assert.Equal(["v5"], (await PagesAsync("/", release: 5, count: 6)).Select(p => p.Release).Distinct());
        Assert.Equal(["v5"], (await PagesAsync("/v5/about", release: null, count: 6)).Select(p => p.Release).Distinct());
        Assert.Equal(stagedV5, await InstancesOfAsync(5)); // The same processes: kept running across the restart.
        var afterRestart = await WebFarmCli.RunAsync(CliTimeout, ["unstage", "hello", .. Api]);
        Assert.True(afterRestart.ExitCode == 0, afterRestart.Stderr + afterRestart.Stdout);
        await Eventually.True(async () => (await InstancesOfAsync(5)).Count == 0, TimeSpan.FromSeconds(60), "the restored stage's instances stop once unstaged");
    }

    /// <summary>
    /// Kills <paramref name="server"/>'s staged instance (SIGKILL) and takes its port with a squatter, so its agent
    /// restarts it on another port of the range; returns where it runs then. The agent restarts a crashed instance on
    /// its port after 500 ms; a squatter that loses that race exits (its port is taken), and the next crash's longer
    /// back-off leaves it more time (a few attempts at most).
    /// </summary>
    private async Task<(int Port, int? Pid)> CrashOntoAnotherPortAsync(string server, int machine, SquatterSet squatters)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (port, pid) = (await Eventually.ReturnsAsync(
                () => InstancesOfAsync(2),
                all => all.TryGetValue(server, out var i) && i.Pid is not null,
                TimeSpan.FromSeconds(60),
                $"{server}'s staged instance running"))[server];
            using (var process = System.Diagnostics.Process.GetProcessById(pid!.Value))
            {
                process.Kill();
            }

            var squatter = squatters.Add(Squat(machine, port));
            var next = (await Eventually.ReturnsAsync(
                () => InstancesOfAsync(2),
                all => all.TryGetValue(server, out var i) && i.Pid is { } now && now != pid && (i.Port != port || squatter.HasExited),
                TimeSpan.FromSeconds(60),
                $"{server}'s staged instance restarted after its crash"))[server];
            if (next.Port != port)
            {
                return next;
            }

            Assert.True(attempt < 4, $"{server}'s staged instance came back on its port {port} {attempt} times: the squatter never got it");
        }
    }

    /// <summary>The squatters a test started, stopped (their standard input closed) when it ends.</summary>
    private sealed class SquatterSet : IDisposable
    {
        private readonly List<System.Diagnostics.Process> _squatters = [];

        public System.Diagnostics.Process Add(System.Diagnostics.Process squatter)
        {
            _squatters.Add(squatter);
            return squatter;
        }

        public void Dispose()
        {
            foreach (var squatter in _squatters)
            {
                squatter.StandardInput.Close();
                squatter.WaitForExit(10_000);
                squatter.Dispose();
            }
        }
    }

    /// <summary>GET /api/apps/hello/stage.</summary>
    private async Task<JsonElement> StageAsync()
    {
        using var json = JsonDocument.Parse(await Controller.Http.GetStringAsync("api/apps/hello/stage"));
        return json.RootElement.Clone();
    }

    /// <summary>The instances of <paramref name="release"/> the agents report: server → (port, pid).</summary>
    private async Task<Dictionary<string, (int Port, int? Pid)>> InstancesOfAsync(long release)
    {
        var instances = new Dictionary<string, (int, int?)>(StringComparer.Ordinal);
        foreach (var row in await Controller.InstancesAsync("hello"))
        {
            if (row.GetProperty("release").ValueKind == JsonValueKind.Number && row.GetProperty("release").GetInt64() == release)
            {
                instances[row.GetProperty("server").GetString()!] = (row.GetProperty("port").GetInt32(), row.GetProperty("pid").ValueKind == JsonValueKind.Number ? row.GetProperty("pid").GetInt32() : null);
            }
        }

        return instances;
    }

    private async Task AssertRefusedAsync(string path, object? body, HttpStatusCode status, string error, HttpMethod? method = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Post, path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await Controller.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{path}: {(int)response.StatusCode} {text}");
        using var json = JsonDocument.Parse(text);
        Assert.Contains(error, json.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }
}
