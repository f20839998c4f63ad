using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using WebFarm.Controller.Rotation;
using WebFarm.Controller.Tests.Infrastructure;

namespace WebFarm.Controller.Tests.Deployments;

/// <summary>
/// A first deployment whose instance runs but fails its gate on one server (`not-ready`, the deployment `partial`):
/// the real `webfarm deploy` exits 1 naming the server, and under load from before the deployment that server gets no
/// request (its own count stays 0) through the controller's balancer nor through an external `webfarm balancer`,
/// however many of their checks fail, until its health check passes; then it joins both. In-process agents, each on
/// its own loopback address; the release is the test backend, which fails /health on web2 (--unhealthy-on).
/// </summary>
public sealed class NotReadyServerTests : IAsyncLifetime
{
    private const string BalancerToken = "not-ready-tests-balancer-token";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _dir = new();
    private readonly StartedResources _started = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _started.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_server_that_fails_its_first_gate_gets_no_request_from_any_balancer_until_its_check_passes_and_deploy_exits_1_naming_it()
    {
        var external = Own(await BalancerProcess.StartAsync([], BalancerToken, ["hello"], route: "hello"));
        var controller = Own(await TestController.StartAsync(_dir.Sub("controller"), configure: o => o with { Balancers = [new BalancerEndpoint(external.AdminUrl, BalancerToken)] }));
        for (var n = 1; n <= 2; n++)
        {
            // Each server's instances listen on its own loopback address (127.0.0.N+1), as on separate machines.
            Own(await controller.StartAgentAsync($"web{n}", $"http://127.0.0.{n + 1}:1", _dir.Sub($"agent{n}"), await controller.NewJoinTokenAsync()));
        }

        await Eventually.True(async () => (await controller.AgentsAsync()).Count == 2, Wait, "both agents joined");
        var app = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["name"] = "hello",
            ["arguments"] = new[] { "--name", "{server}", "--port", "{port}", "--bind", "{host}", "--unhealthy-on", "web2" },
            ["ports"] = "47400-47449",
            ["healthPath"] = "/health",
        });
        var (status, error) = await controller.PostAsync("api/apps", app);
        Assert.True(status == 201, error);

        // Load through both balancers from before the deployment: each answer's body is the server that gave it.
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var viaController = new Answers();
        var viaExternal = new Answers();
        var loads = new[] { viaController.RunAsync(controller.Host.BalancerUrl!, stop.Token), viaExternal.RunAsync(external.Url, stop.Token) };

        var deploy = await WebFarmCli.RunAsync(TimeSpan.FromMinutes(3), ["deploy", "hello", Release(), "--controller", controller.Host.Url.ToString(), "--batch", "100%", "--health-timeout", "10s"]);

        // Exit 1 (0 only when every server runs the release in rotation), saying which server is not ready and why.
        Assert.True(deploy.ExitCode == 1, deploy.Stdout + deploy.Stderr);
        Assert.Contains("partial: release 1 runs on every server, but web2 did not pass the health gate", deploy.Stderr, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^web2: release 1 on http://127\.0\.0\.3:\d+ did not pass /health", deploy.Stderr);
        Assert.DoesNotContain("web1:", deploy.Stderr, StringComparison.Ordinal);
        var record = (await controller.ListAsync("api/deployments?app=hello"))[0];
        Assert.Equal("partial", record.GetProperty("state").GetString());
        Assert.Equal(["done", "not-ready"], record.GetProperty("servers").EnumerateArray().Select(s => s.GetProperty("phase").GetString()));

        // Both balancers have web2 and check it, failing, for two more seconds (two more checks of the external one)
        // while the load goes on through them.
        DateTimeOffset? firstFailed = null;
        await Eventually.True(async () => (firstFailed = await LastFailedCheckAsync(external)) is not null, Wait, "web2 on the external balancer, its check failing");
        var counted = (viaController.Count, viaExternal.Count);
        await Eventually.True(
            async () => await LastFailedCheckAsync(external) >= firstFailed + TimeSpan.FromSeconds(2)
                && controller.Host.Rotation.Runtime.GetServer("hello", "web2") is { Healthy: false, LastHealthCheck.Healthy: false }
                && viaController.Count > counted.Item1 + 50 && viaExternal.Count > counted.Item2 + 50,
            Wait,
            "web2 checked and failing on both balancers under load");
        var web2 = InstanceUrl(await controller.InstancesAsync("hello"), "web2");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal("0", await http.GetStringAsync(new Uri(web2, "/control/requests")));
        Assert.Equal(0, viaController.From("web2"));
        Assert.Equal(0, viaExternal.From("web2"));
        Assert.True(viaController.From("web1") > 0 && viaExternal.From("web1") > 0, "web1 serves through both balancers");

        // Its dependency is back: each balancer's own check brings it in.
        using (var healed = await http.PostAsync(new Uri(web2, "/control/health/200"), null))
        {
            Assert.Equal(HttpStatusCode.OK, healed.StatusCode);
        }

        await Eventually.True(() => viaController.From("web2") > 0 && viaExternal.From("web2") > 0, Wait, "web2 joins both balancers once its check passes");
        await stop.CancelAsync();
        await Task.WhenAll(loads);
    }

    /// <summary>The test backend's build output as a release folder (its one app .dll is the entry point).</summary>
    private string Release()
    {
        var folder = _dir.Sub("release");
        Directory.CreateDirectory(folder);
        var source = Path.GetDirectoryName(RepositoryPaths.TestBackendDll)!;
        foreach (var name in (string[])["WebFarm.TestBackend.dll", "WebFarm.TestBackend.runtimeconfig.json", "WebFarm.TestBackend.deps.json"])
        {
            File.Copy(Path.Combine(source, name), Path.Combine(folder, name));
        }

        return folder;
    }

    /// <summary>When the external balancer last checked web2 of farm hello, when that check failed (else null).</summary>
    private static async Task<DateTimeOffset?> LastFailedCheckAsync(BalancerProcess balancer)
    {
        using var client = balancer.ApiClient();
        using var response = await client.GetAsync("api/farms/hello/servers/web2");
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        using var server = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return server.RootElement.GetProperty("lastCheck") is { ValueKind: JsonValueKind.Object } check && !check.GetProperty("healthy").GetBoolean()
            ? check.GetProperty("time").GetDateTimeOffset()
            : null;
    }

    private static Uri InstanceUrl(List<JsonElement> rows, string server)
    {
        var row = rows.Single(r => r.GetProperty("server").GetString() == server);
        return new Uri($"http://127.0.0.{server[^1] - '0' + 1}:{row.GetProperty("port").GetInt32()}/");
    }

    private T Own<T>(T owned)
        where T : IAsyncDisposable
        => _started.Own(owned);

    /// <summary>A load through one balancer, bounded in count and in time: which server answered each 200.</summary>
    private sealed class Answers
    {
        private readonly ConcurrentDictionary<string, int> _byServer = new(StringComparer.Ordinal);
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public int From(string server) => _byServer.TryGetValue(server, out var n) ? n : 0;

        public Task RunAsync(Uri balancer, CancellationToken stop) => Task.Run(async () =>
        {
            using var client = new HttpClient { BaseAddress = balancer, Timeout = TimeSpan.FromSeconds(10) };
            for (var i = 0; i < 1_000_000 && !stop.IsCancellationRequested; i++)
            {
                try
                {
                    using var response = await client.GetAsync("/", stop);
                    Interlocked.Increment(ref _count);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        _byServer.AddOrUpdate(await response.Content.ReadAsStringAsync(stop), 1, (_, n) => n + 1);
                    }
                    else
                    {
                        await Task.Delay(20, stop); // No server in rotation yet (503): do not spin.
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
            }
        });
    }
}
