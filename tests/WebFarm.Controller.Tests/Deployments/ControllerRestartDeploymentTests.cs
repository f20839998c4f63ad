using WebFarm.Controller.Tests.Infrastructure;
using WebFarm.Controller.Tests.MultiMachine;

namespace WebFarm.Controller.Tests.Deployments;

/// <summary>
/// A controller killed (SIGKILL) in the middle of a deployment and started again on the same data directory: the new
/// leader resumes the deployment where each server was, with a `webfarm balancer` process (driven through its admin
/// API) serving the visitors all along, and no request fails.
/// </summary>
[Collection(nameof(MultiMachineTests))] // One network at a time: the namespaces have fixed names.
public sealed class ControllerRestartDeploymentTests : DeploymentMachines
{
    private const int Visitors = 64;
    private const string BalancerToken = "restart-tests-balancer-token";

    private BalancerProcess? _balancer;

    [NetnsFact]
    public async Task A_controller_killed_mid_deployment_resumes_it_when_it_restarts_and_every_server_ends_on_v2_with_no_failed_request()
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

        // Release 2 rolls out; the controller is killed while web2's turn is under way (web1 done, web3 waiting).
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
        Assert.Equal(new Dictionary<string, string> { ["web1"] = "v2", ["web2"] = "v2", ["web3"] = "v2" }, await ReleasesOnPagesAsync());
        load.ForgetSeen();
        await Eventually.True(() => load.Seen.Count(s => s.Release == "v2") == 3 && load.Seen.All(s => s.Release == "v2"), TimeSpan.FromSeconds(60), "the balancer serves v2 from every server and nothing else");

        await stop.CancelAsync();
        await visiting;
        Assert.True(load.Failures.Count == 0, $"{load.Failures.Count} of {load.Requests} requests failed across the controller's restart ({load.LostSessions} lost sessions): {string.Join("; ", load.Failures.Take(3))}");
        Assert.Equal(0, load.LostSessions);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_balancer is not null)
        {
            await _balancer.DisposeAsync();
        }
    }

    private async Task<WebFarmProcess> StartControllerAsync(string[] arguments)
    {
        var process = WebFarmProcess.Start(null, arguments);
        Processes.Add(process);
        await process.WaitForLineAsync("controller API on", TimeSpan.FromMinutes(1));
        return process;
    }
}
