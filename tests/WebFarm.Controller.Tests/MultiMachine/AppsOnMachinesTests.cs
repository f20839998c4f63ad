using System.Text.Json;
using WebFarm.Controller.Tests.Infrastructure;

namespace WebFarm.Controller.Tests.MultiMachine;

/// <summary>
/// Three "machines" (network namespaces), each with a real `webfarm agent --allow-commands` process; the controller
/// and its balancer on the host. Everything is driven through the real `webfarm` CLI: the app is added, runs on every
/// machine, takes traffic, is restarted server by server under load, each machine's instance trusts the balancer at the
/// address it has on that machine's link, and `ps`, `run` and `trace` see all three.
/// </summary>
[Collection(nameof(MultiMachineTests))] // One network at a time: the namespaces have fixed names.
public sealed class AppsOnMachinesTests() : MachinesTest(3)
{
    private const string OperatorToken = "apps-on-machines-operator-token";
    private static readonly TimeSpan CliTimeout = TimeSpan.FromMinutes(2);

    [NetnsFact]
    public async Task An_app_runs_on_three_machines_takes_traffic_restarts_rolling_without_a_failed_request_and_ps_run_trace_see_all_three()
    {
        await using var controller = await TestController.StartAsync(Dir.Sub("controller"), OperatorToken, listen: $"http://{MachineNetwork.HostAddress(1)}:0");
        string[] api = ["--controller", controller.Host.Url.ToString(), "--token", OperatorToken];
        // The agent's own address serves nothing: its server becomes ready through its app instance.
        await StartAgentsAsync(controller, "--allow-commands");

        var add = await WebFarmCli.RunAsync(CliTimeout, ["apps", "add", "hello", .. api, "--command", RepositoryPaths.TestBackendDll, "--ports", "5000-5009", "--health-path", "/health", "--", "--name", "{server}", "--port", "{port}", "--bind", "{host}"]);
        Assert.True(add.ExitCode == 0, add.Stderr + add.Stdout);

        await Eventually.True(
            async () => (await controller.InstancesAsync("hello")).Count(r => r.GetProperty("inRotation").GetBoolean()) == 3,
            TimeSpan.FromSeconds(120),
            "an instance on each machine, healthy and in the app's farm");
        foreach (var row in await controller.InstancesAsync("hello"))
        {
            Assert.Equal(5000, row.GetProperty("port").GetInt32()); // Each machine has its own address: the range's first port everywhere.
        }

        using var client = new HttpClient { BaseAddress = controller.Host.BalancerUrl, Timeout = TimeSpan.FromSeconds(30) };
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var loop = new LoadLoop();
        var load = loop.RunAsync(client, stop.Token);
        await Eventually.True(() => loop.Bodies.Count == 3, TimeSpan.FromSeconds(60), "traffic through the balancer reaches every machine's instance");
        Assert.Equal(["web1", "web2", "web3"], loop.Bodies.Order());
        var pidsBefore = await PidsAsync(controller);

        var restart = await WebFarmCli.RunAsync(TimeSpan.FromMinutes(5), ["apps", "restart", "hello", .. api]);
        Assert.True(restart.ExitCode == 0, restart.Stderr + restart.Stdout);
        var sent = loop.Sent;
        await Eventually.True(() => loop.Sent > sent + 20, TimeSpan.FromSeconds(60), "the load runs on after the restart");
        await stop.CancelAsync();
        await load;
        Assert.True(loop.Failures.Count == 0, $"{loop.Failures.Count} of {loop.Sent} GETs failed during the rolling restart: {string.Join("; ", loop.Failures.Take(5))}");
        var pidsAfter = await PidsAsync(controller);
        Assert.All(pidsBefore, p => Assert.NotEqual(p.Value, pidsAfter[p.Key]));

        var ps = await WebFarmCli.RunAsync(CliTimeout, ["ps", .. api]);
        Assert.True(ps.ExitCode == 0, ps.Stderr + ps.Stdout);
        var psOne = await WebFarmCli.RunAsync(CliTimeout, ["ps", "--server", "web9", .. api]);
        Assert.Equal(1, psOne.ExitCode);
        Assert.Contains("server: no server named 'web9' has joined", psOne.Stderr);

        // `run` executes on each machine: each one prints its own address (its lines prefixed with its name as they
        // come), then the exit codes.
        var run = await WebFarmCli.RunAsync(CliTimeout, ["run", "--servers", "all", "--timeout", "20s", .. api, "--", "ip", "-o", "-4", "addr", "show"]);
        Assert.True(run.ExitCode == 0, run.Stderr + run.Stdout);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        for (var n = 1; n <= 3; n++)
        {
            Assert.Contains(lines, l => l.StartsWith($"web{n}| ", StringComparison.Ordinal) && l.Contains(MachineNetwork.MachineAddress(n) + "/24", StringComparison.Ordinal));
            Assert.Contains($"== web{n}: exit code 0", lines);
        }

        Assert.Equal(["== web1: exit code 0", "== web2: exit code 0", "== web3: exit code 0"], lines.TakeLast(3));

        // Each machine's instance trusts the balancer at the address it connects from on that machine's own link
        // (10.x.N.1), not at the address machine 1's heartbeats reach the controller on.
        foreach (var (server, pid) in pidsAfter)
        {
            var environ = await WebFarmCli.RunAsync(CliTimeout, ["run", "--servers", server, .. api, "--", "sh", "-c", $"tr '\\0' '\\n' < /proc/{pid}/environ"]);
            Assert.True(environ.ExitCode == 0, environ.Stderr + environ.Stdout);
            var n = int.Parse(server.AsSpan(3), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Contains($"WEBFARM_TRUSTED_PROXIES={MachineNetwork.HostAddress(n)}\n", environ.Stdout.ReplaceLineEndings("\n"));
        }

        var failing = await WebFarmCli.RunAsync(CliTimeout, ["run", "--servers", "web2", .. api, "--", "sh", "-c", "exit 7"]);
        Assert.Equal(1, failing.ExitCode);
        Assert.Contains("== web2: exit code 7", failing.Stdout);

        // `trace` merges the three rings: each machine's instance printed its own LISTENING line.
        var trace = await WebFarmCli.RunAsync(CliTimeout, ["trace", "--filter", "LISTENING", .. api]);
        Assert.True(trace.ExitCode == 0, trace.Stderr);
        for (var n = 1; n <= 3; n++)
        {
            Assert.Contains($" web{n} [hello] LISTENING http://{MachineNetwork.MachineAddress(n)}:5000", trace.Stdout);
        }

        var web3 = await WebFarmCli.RunAsync(CliTimeout, ["trace", "--server", "web3", .. api]);
        Assert.All(web3.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => Assert.Contains(" web3 [", line));
    }

    private static async Task<Dictionary<string, int>> PidsAsync(TestController controller)
        => (await controller.InstancesAsync("hello")).ToDictionary(r => r.GetProperty("server").GetString()!, r => r.GetProperty("pid").GetInt32());
}
