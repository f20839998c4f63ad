using System.Text.Json;
using WebFarm.Controller.Tests.Infrastructure;
using WebFarm.Controller.Tests.MultiMachine;

namespace WebFarm.Controller.Tests.Deployments;

/// <summary>
/// A controller killed (SIGKILL) in the middle of a deployment and started again on the same data directory: the new
/// leader resumes the deployment where each server was, with a `webfarm balancer` process (driven through its admin
/// API) serving the visitors all along, and no request fails. Then a fourth server joins: it enters the farm only once
/// it holds the current release and every content set, and serves v2 from its first request. The third server's name
/// is 61 characters long: its `SERVER.next` entry would pass the balancer's 64-character limit, and must still deploy.
/// Last, a release staged through that controller is served by the external balancer on its header and path, until
/// it is unstaged.
/// </summary>
[Collection(nameof(MultiMachineTests))] // One network at a time: the namespaces have fixed names.
public sealed class ControllerRestartDeploymentTests() : DeploymentMachines(4)
{
    private const int Visitors = 64;
    private const string BalancerToken = "restart-tests-balancer-token";

    private static readonly string Web3 = "web-" + new string('x', 55) + "-3";

    private BalancerProcess? _balancer;

    [NetnsFact]
    public async Task A_controller_killed_mid_deployment_resumes_it_when_it_restarts_and_every_server_ends_on_v2_and_a_joining_server_serves_v2_once_it_holds_the_content_with_no_failed_request()
    {
        var stateEndpoint = await StartRedisAsync();
        _balancer = await BalancerProcess.StartAsync([], BalancerToken, ["hello"], route: "hello", healthPath: "/healthz");
        var url = new Uri($"http://{MachineNetwork.HostAddress(1)}:{FreePort.Next()}/");
        string[] controllerArguments =
        [
            "controller", "--listen", url.AbsoluteUri, "--data-dir", Dir.Sub("controller"), "--token", OperatorToken, "--state-endpoint", stateEndpoint,
            "--balancer", _balancer.AdminUrl.AbsoluteUri, "--balancer-token", BalancerToken, "--log-level", "Warning",
        ];
        var controller = await StartControllerAsync(controllerArguments);
        using var api = new ControllerClient(url, OperatorToken);
        await StartAppAsync(api, "5000-5009");
        var first = await DeployAsync(HelloFarmRelease("v1"));
        Assert.True(first.ExitCode == 0, first.Stderr + first.Stdout);
        await Eventually.True(async () => (await ReleasesOnPagesAsync()).Count == 3, TimeSpan.FromSeconds(60), "v1 in rotation on every server");

        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var load = new VisitorLoad();
        var visiting = load.RunAsync(_balancer.Url, Visitors, stop.Token);
        await Eventually.True(() => load.Rounds > Visitors, TimeSpan.FromSeconds(120), "the visitors' sessions work through the balancer");

        // Release 2 rolls out (in name order: Web3, web1, web2); the controller is killed while web2's turn is under way.
        var deploying = DeployAsync(HelloFarmRelease("v2"));
        var running = await Eventually.ReturnsAsync(
            LatestAsync,
            d => d.GetProperty("release").GetInt64() == 2 && Phase(d, "web2") is "starting" or "gating" or "draining" or "stopping" or "swapping",
            TimeSpan.FromSeconds(180),
            "web2's turn under way");
        var id = running.GetProperty("id").GetInt64();
        controller.Kill();
        await Eventually.True(() => controller.HasExited, TimeSpan.FromSeconds(30), "the controller is gone");
        await StartControllerAsync(controllerArguments);
        await deploying; // The CLI that followed the deployment lost its controller (it retries, then gives up); no matter.
        var ended = await Eventually.ReturnsAsync(() => DeploymentAsync(id), d => d.GetProperty("state").GetString() != "running", TimeSpan.FromSeconds(180), "the resumed deployment ended");
        Assert.True(ended.GetProperty("state").GetString() == "succeeded", ended.GetRawText());
        Assert.All(ended.GetProperty("servers").EnumerateArray(), s => Assert.Equal(("done", 2L), (s.GetProperty("phase").GetString(), s.GetProperty("release").GetInt64())));
        Assert.Equal(new Dictionary<string, string> { ["web1"] = "v2", ["web2"] = "v2", [Web3] = "v2" }, await ReleasesOnPagesAsync());
        load.ForgetSeen();
        await Eventually.True(() => load.Seen.Count(s => s.Release == "v2") == 3 && load.Seen.All(s => s.Release == "v2"), TimeSpan.FromSeconds(60), "the balancer serves v2 from every server and nothing else");

        // A content set with a 3 MB file; web4 joins with a 2 MB file limit: it installs release 2 (its largest file
        // is under 2 MB) and refuses the content set, so its v2 instance runs healthy but stays out of the farm.
        var big = Directory.CreateDirectory(Dir.Sub("content-big")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(big, "big.bin"), new byte[3 * 1024 * 1024]);
        await PushContentAsync(big);
        await StartAgentAsync(api, 4, "--max-file-size", "2mb");
        var held = await Eventually.ReturnsAsync(
            async () => (await api.InstancesAsync("hello")).Find(r => r.GetProperty("server").GetString() == "web4"),
            r => r.ValueKind == JsonValueKind.Object && r.GetProperty("healthy").GetBoolean(),
            TimeSpan.FromSeconds(120),
            "web4's instance healthy");
        Assert.Equal(2, held.GetProperty("release").GetInt64());
        Assert.False(held.GetProperty("inRotation").GetBoolean(), held.GetRawText());

        // A version it accepts: web4 installs it, then enters the farm, and its first pages are v2.
        var small = Directory.CreateDirectory(Dir.Sub("content-small")).FullName;
        await File.WriteAllTextAsync(Path.Combine(small, "index.html"), "small");
        await PushContentAsync(small);
        await Eventually.True(async () => (await ReleasesOnPagesAsync()).ContainsKey("web4"), TimeSpan.FromSeconds(60), "web4 in rotation");
        Assert.Equal("small", await File.ReadAllTextAsync(Path.Combine(Dir.Sub("agent4"), "content", "static", "index.html")));
        await Eventually.True(() => load.Seen.Contains(("web4", "v2")), TimeSpan.FromSeconds(60), "the balancer serves web4");
        Assert.All(load.Seen, s => Assert.Equal("v2", s.Release));

        await stop.CancelAsync();
        await visiting;
        Assert.True(load.Failures.Count == 0, $"{load.Failures.Count} of {load.Requests} requests failed across the controller's restart ({load.LostSessions} lost sessions): {string.Join("; ", load.Failures.Take(3))}");
        Assert.Equal(0, load.LostSessions);

        // A stage reaches the external balancer too: release 3 staged at /v3 is served there on its header and its path
        // (from every server's staged instance), nothing else reaches it, and unstaging takes its farm and routes off.
        var staged = await DeployAsync(HelloFarmRelease("v3"), "--stage", "--stage-path", "/v3");
        Assert.True(staged.ExitCode == 0, staged.Stderr + staged.Stdout);
        await Eventually.True(
            async () => await BalancerStageFarmsAsync() is ["hello.stage"] && (await _balancer.ServersAsync("hello.stage")).Values.Count(s => s.GetProperty("available").GetBoolean()) == 4,
            TimeSpan.FromSeconds(60),
            "the stage farm with the four staged instances on the external balancer");
        var byHeader = await PagesAsync("/", release: 3, count: 24, _balancer.Url);
        Assert.Equal(["v3"], byHeader.Select(p => p.Release).Distinct());
        Assert.Equal(4, byHeader.Select(p => p.Server).Distinct().Count());
        Assert.Equal(["v3"], (await PagesAsync("/v3/about", release: null, count: 8, _balancer.Url)).Select(p => p.Release).Distinct());
        Assert.Equal(["v2"], (await PagesAsync("/", release: null, count: 8, _balancer.Url)).Select(p => p.Release).Distinct());
        Assert.Equal(["v2"], (await PagesAsync("/", release: 2, count: 4, _balancer.Url)).Select(p => p.Release).Distinct());

        var unstaged = await WebFarmCli.RunAsync(CliTimeout, ["unstage", "hello", .. Api]);
        Assert.True(unstaged.ExitCode == 0, unstaged.Stderr + unstaged.Stdout);
        await Eventually.True(async () => (await BalancerStageFarmsAsync()).Count == 0, TimeSpan.FromSeconds(30), "the stage farm and its routes leave the external balancer");
        Assert.Equal(["v2"], (await PagesAsync("/", release: 3, count: 8, _balancer.Url)).Select(p => p.Release).Distinct());
        using var http = new HttpClient { BaseAddress = _balancer.Url, Timeout = TimeSpan.FromSeconds(30) };
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync("/v3/about")).StatusCode); // The live app has no such page.
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_balancer is not null)
        {
            await _balancer.DisposeAsync();
        }
    }

    protected override string ServerName(int n) => n == 3 ? Web3 : base.ServerName(n);

    /// <summary>The names of the farms the controller created on the external balancer (GET /api/controller/farms).</summary>
    private async Task<List<string>> BalancerStageFarmsAsync()
    {
        using var admin = _balancer!.ApiClient();
        using var json = JsonDocument.Parse(await admin.GetStringAsync("/api/controller/farms"));
        return [.. json.RootElement.EnumerateArray().Select(f => f.GetProperty("name").GetString()!)];
    }

    private async Task PushContentAsync(string path)
    {
        var push = await WebFarmCli.RunAsync(CliTimeout, ["content", "push", "static", path, .. Api]);
        Assert.True(push.ExitCode == 0, push.Stderr + push.Stdout);
    }

    private async Task<WebFarmProcess> StartControllerAsync(string[] arguments)
    {
        var process = WebFarmProcess.Start(null, arguments);
        Processes.Add(process);
        await process.WaitForLineAsync("controller API on", TimeSpan.FromMinutes(1));
        return process;
    }
}
