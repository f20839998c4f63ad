using System.Diagnostics;
using System.Text.Json;
using WebFarm.Controller.Tests.Infrastructure;
using WebFarm.Controller.Tests.MultiMachine;

namespace WebFarm.Controller.Tests.Deployments;

/// <summary>
/// The set-up the deployment tests share: a Redis for HelloFarm's sessions (reached by every machine), the controller
/// and its balancer on the host, a real `webfarm agent` in each machine's namespace, and the app <c>hello</c> that runs
/// its releases (HelloFarm, each release's appsettings.json naming it, so its pages say which release answered).
/// </summary>
public abstract class DeploymentMachines(int machines = 3) : MachinesTest(machines)
{
    protected const string OperatorToken = "deployment-tests-operator-token";
    protected static readonly TimeSpan CliTimeout = TimeSpan.FromMinutes(5);

    private RedisServer? _redis;
    private string? _stateEndpoint;

    /// <summary>The in-process controller (<see cref="StartFarmAsync"/>; null when the test runs its controller as a process).</summary>
    private protected TestController Controller { get; private set; } = null!;

    /// <summary>The controller's API, in this process or not.</summary>
    private protected ControllerClient ControllerApi { get; private set; } = null!;

    protected string[] Api => ["--controller", ControllerApi.Url.ToString(), "--token", OperatorToken];

    /// <summary>Starts Redis, the controller, three agents and adds the app <c>hello</c> (no command: it runs its releases).</summary>
    protected async Task StartFarmAsync(string ports)
    {
        _stateEndpoint = await StartRedisAsync();
        Controller = await TestController.StartAsync(Dir.Sub("controller"), OperatorToken, listen: $"http://{MachineNetwork.HostAddress(1)}:0", configure: o => o with { StateEndpoint = _stateEndpoint });
        await StartAppAsync(Controller.Client, ports);
    }

    /// <summary>
    /// Stops the in-process controller (<see cref="StartFarmAsync"/>) and starts it again on the same data directory and
    /// address, so the agents find it again; its in-process balancer restarts with it (on a new port).
    /// </summary>
    private protected async Task RestartControllerAsync()
    {
        var url = Controller.Host.Url;
        await Controller.DisposeAsync();
        Controller = await TestController.StartAsync(Dir.Sub("controller"), OperatorToken, listen: url.AbsoluteUri, configure: o => o with { StateEndpoint = _stateEndpoint });
        ControllerApi = Controller.Client;
    }

    /// <summary>Starts Redis for HelloFarm's sessions, reached from every machine; its host:port.</summary>
    private protected async Task<string> StartRedisAsync()
    {
        var host = MachineNetwork.HostAddress(1);
        _redis = await RedisServer.StartAsync(extraArgs: () => ["--bind", $"127.0.0.1 {host}", "--protected-mode", "no"]);
        return $"{host}:{_redis.Port}";
    }

    /// <summary>Starts three agents joined to <paramref name="controller"/> and adds the app <c>hello</c> (no command: it runs its releases).</summary>
    private protected async Task StartAppAsync(ControllerClient controller, string ports)
    {
        ControllerApi = controller;
        await StartAgentsAsync(controller, 3);
        var add = await WebFarmCli.RunAsync(CliTimeout, ["apps", "add", "hello", .. Api, "--ports", ports]);
        Assert.True(add.ExitCode == 0, add.Stderr + add.Stdout);
    }

    /// <summary>HelloFarm's build output with an appsettings.json that names the release (or <paramref name="appsettings"/> as given).</summary>
    protected string HelloFarmRelease(string label, string? appsettings = null)
        => WebFarm.Testing.HelloFarmRelease.Write(Dir.Sub("release-" + label), label, appsettings);

    /// <summary>`webfarm deploy hello PATH ARGS...`.</summary>
    protected Task<(int ExitCode, string Stdout, string Stderr)> DeployAsync(string path, params string[] arguments)
        => WebFarmCli.RunAsync(CliTimeout, ["deploy", "hello", path, .. Api, .. arguments]);

    /// <summary>The page each server's serving instance answers, asked directly (not through the balancer): server → release label.</summary>
    protected async Task<Dictionary<string, string>> ReleasesOnPagesAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var pages = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var row in await ControllerApi.InstancesAsync("hello"))
        {
            if (!row.GetProperty("inRotation").GetBoolean())
            {
                continue;
            }

            var server = row.GetProperty("server").GetString()!;
            var machine = server[^1] - '0';
            var page = await http.GetStringAsync($"http://{MachineNetwork.MachineAddress(machine)}:{row.GetProperty("port").GetInt32()}/");
            var start = page.IndexOf("id=\"release\">", StringComparison.Ordinal) + "id=\"release\">".Length;
            pages[server] = page[start..page.IndexOf('<', start)];
        }

        return pages;
    }

    /// <summary>
    /// <paramref name="count"/> GETs of <paramref name="path"/> through the controller's balancer, or
    /// <paramref name="balancer"/> (with X-WebFarm-Release when given, each on a new connection): which server and
    /// release answered.
    /// </summary>
    private protected async Task<List<(string Server, string Release)>> PagesAsync(string path, long? release, int count, Uri? balancer = null)
    {
        var pages = new List<(string, string)>();
        for (var i = 0; i < count; i++)
        {
            using var http = new HttpClient { BaseAddress = balancer ?? Controller.Host.BalancerUrl, Timeout = TimeSpan.FromSeconds(30) };
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (release is { } id)
            {
                request.Headers.Add("X-WebFarm-Release", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            using var response = await http.SendAsync(request);
            var page = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == System.Net.HttpStatusCode.OK, $"GET {path} ({release}) answered {(int)response.StatusCode}: {page}");
            pages.Add((Between(page, "id=\"server\">"), Between(page, "id=\"release\">")));
        }

        return pages;
    }

    /// <summary>GET /api/deployments/{id}.</summary>
    protected async Task<JsonElement> DeploymentAsync(long id)
    {
        using var json = JsonDocument.Parse(await ControllerApi.Http.GetStringAsync($"api/deployments/{id}"));
        return json.RootElement.Clone();
    }

    /// <summary>The latest deployment of hello.</summary>
    protected async Task<JsonElement> LatestAsync() => (await ControllerApi.ListAsync("api/deployments?app=hello"))[0];

    protected static string Phase(JsonElement deployment, string server)
        => deployment.GetProperty("servers").EnumerateArray().Single(s => s.GetProperty("server").GetString() == server).GetProperty("phase").GetString()!;

    /// <summary>A listener inside <paramref name="machine"/>'s namespace on its address and <paramref name="port"/>, so no instance can start there.</summary>
    protected Process Squat(int machine, int port)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])["netns", "exec", MachineNetwork.Namespace(machine), "dotnet", RepositoryPaths.TestBackendDll, "--name", "squatter", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", MachineNetwork.MachineAddress(machine)])
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!; // It exits when its standard input closes (disposing the test's handle).
    }

    private static string Between(string page, string marker)
    {
        var start = page.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(start >= 0, $"no {marker} in the page: {page}");
        start += marker.Length;
        return page[start..page.IndexOf('<', start)];
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (Controller is not null)
        {
            await Controller.DisposeAsync();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }
}
