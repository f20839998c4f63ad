using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using WebFarm.Agent.Control;
using WebFarm.Balancer.Farms;
using WebFarm.Controller.Apps;
using WebFarm.Controller.Hosting;
using WebFarm.Controller.Rotation;
using WebFarm.Controller.Tests.Infrastructure;
using WebFarm.Controller.Tests.MultiMachine;

namespace WebFarm.Controller.Tests.Balancers;

/// <summary>
/// A controller driving two real `webfarm balancer` processes through their admin APIs (`--balancer`), with no
/// in-process balancer: joined servers appear in both, operator changes reach both, a balancer that was down is put
/// back in step, a wrong token is refused naming the balancer, and the balancers keep serving without the controller.
/// </summary>
public sealed class ExternalBalancerTests : IAsyncLifetime
{
    private const string BalancerToken = "external-balancer-admin-token";
    private readonly TempDirectory _dir = new();
    private readonly StartedResources _started = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _started.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_joined_server_appears_in_both_balancers_a_drain_through_the_controller_drains_both_and_a_stopped_controller_leaves_them_serving()
    {
        var (a, b) = await StartBalancersAsync();
        var controller = await StartControllerAsync(a, b);
        Assert.Null(controller.Host.BalancerUrl); // --balancer without --balancer-listen: no in-process balancer.
        var backend = Own(await BackendProcess.StartAsync("web1"));
        Own(await controller.StartAgentAsync("web1", backend.Address, _dir.Sub("agent1"), await controller.NewJoinTokenAsync()));

        await Eventually.True(async () => await a.StateOfAsync("web1") == "online" && await b.StateOfAsync("web1") == "online", because: "the joined server is added to both balancers");
        foreach (var balancer in new[] { a, b })
        {
            using var client = new HttpClient { BaseAddress = balancer.Url, Timeout = TimeSpan.FromSeconds(10) };
            Assert.Equal("web1", await Eventually.ReturnsAsync(async () => await client.GetStringAsync("/"), TimeSpan.FromSeconds(20), $"{balancer.Url} to serve web1 (its own health check passes)"));
        }

        var (status, error) = await controller.SendAsync(HttpMethod.Post, "api/farms/web/servers/web1/drain");
        Assert.True(status == 200, error);
        await Eventually.True(async () => await a.StateOfAsync("web1") == "draining" && await b.StateOfAsync("web1") == "draining", because: "the drain reaches both balancers");

        var statuses = await controller.ListAsync("api/balancers");
        Assert.Equal([a.AdminUrl.AbsoluteUri.TrimEnd('/'), b.AdminUrl.AbsoluteUri.TrimEnd('/')], statuses.Select(s => s.GetProperty("balancer").GetString()));
        Assert.All(statuses, s => Assert.True(s.GetProperty("inStep").GetBoolean(), s.GetRawText()));

        // A controller that stops leaves the balancers as they were: nothing is removed or changed on the way out.
        await controller.DisposeAsync();
        _started.Forget(controller);
        Assert.Equal("draining", await a.StateOfAsync("web1"));
        Assert.Equal("draining", await b.StateOfAsync("web1"));
    }

    [Fact]
    public async Task A_balancer_that_was_down_while_the_farm_changed_is_reconciled_when_it_is_back()
    {
        var (a, b) = await StartBalancersAsync();
        var controller = await StartControllerAsync(a, b);
        var web1 = Own(await BackendProcess.StartAsync("web1"));
        var web2 = Own(await BackendProcess.StartAsync("web2"));
        Own(await controller.StartAgentAsync("web1", web1.Address, _dir.Sub("agent1"), await controller.NewJoinTokenAsync()));
        await Eventually.True(async () => await a.StateOfAsync("web1") == "online" && await b.StateOfAsync("web1") == "online", because: "web1 is in both");

        await b.KillAsync();
        await Eventually.True(async () => await BalancerStatusAsync(controller, b) is { } s && !s.GetProperty("inStep").GetBoolean() && s.GetProperty("error").GetString()!.Contains("cannot be reached"), because: "the controller reports the dead balancer");

        // While b is down: web1 is drained through the controller and web2 joins.
        var (status, error) = await controller.SendAsync(HttpMethod.Post, "api/farms/web/servers/web1/drain");
        Assert.True(status == 200, error);
        Own(await controller.StartAgentAsync("web2", web2.Address, _dir.Sub("agent2"), await controller.NewJoinTokenAsync()));
        await Eventually.True(async () => await a.StateOfAsync("web1") == "draining" && await a.StateOfAsync("web2") == "online", because: "the live balancer follows at once");

        // b comes back with what it saved before it died (web1 online, no web2): the controller puts it in step.
        await b.RestartAsync(forgetState: false);
        await Eventually.True(async () => await b.StateOfAsync("web1") == "draining" && await b.StateOfAsync("web2") == "online", because: "the restarted balancer is reconciled with the controller's rotation");
        await Eventually.True(async () => (await BalancerStatusAsync(controller, b))!.Value.GetProperty("inStep").GetBoolean(), because: "the controller reports it in step again");

        // A replaced balancer (nothing saved) gets the farm too.
        await a.RestartAsync(forgetState: true);
        await Eventually.True(async () => await a.StateOfAsync("web2") == "online", because: "the replaced balancer gets the servers in rotation");
        Assert.Null(await a.StateOfAsync("web1")); // Draining: not added, it would take requests before the drain reached it.
    }

    [Fact]
    public async Task A_balancer_that_refuses_the_token_stops_the_controller_from_starting_with_its_name_in_the_error()
    {
        var (a, b) = await StartBalancersAsync();
        var options = ControllerOptionsFor([new BalancerEndpoint(a.AdminUrl, BalancerToken), new BalancerEndpoint(b.AdminUrl, "not-the-balancer-token")]);
        var ex = await Assert.ThrowsAsync<ControllerStartException>(() => ControllerHost.StartAsync(options, NullLoggerFactory.Instance, default));
        Assert.Contains($"balancer {b.AdminUrl.AbsoluteUri.TrimEnd('/')} refused the controller's token (401", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--balancer-token", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(a.AdminUrl.AbsoluteUri.TrimEnd('/'), ex.Message, StringComparison.Ordinal);

        // The command line says the same and exits 1; nothing was left listening on the controller's port.
        var port = FreePort.Next();
        var cli = await WebFarmCli.RunAsync(
            TimeSpan.FromMinutes(1), "controller", "--listen", $"http://127.0.0.1:{port}", "--data-dir", _dir.Sub("cli"),
            "--balancer", a.AdminUrl.AbsoluteUri, "--balancer", b.AdminUrl.AbsoluteUri, "--balancer-token", BalancerToken, "--balancer-token", "not-the-balancer-token");
        Assert.Equal(1, cli.ExitCode);
        Assert.Contains($"balancer {b.AdminUrl.AbsoluteUri.TrimEnd('/')} refused the controller's token", cli.Stderr, StringComparison.Ordinal);
        Assert.False(await FreePort.IsAcceptingAsync(port));
    }

    [Theory]
    [InlineData(new[] { "--balancer", "http://127.0.0.1:9/", "--balancer", "http://127.0.0.1:10/", "--balancer-token", "x1234567890123456", "--balancer-token", "y1234567890123456", "--balancer-token", "z1234567890123456" }, "--balancer-token is given 3 times for 2 --balancer URLs")]
    [InlineData(new[] { "--balancer", "ftp://127.0.0.1:9/" }, "--balancer 'ftp://127.0.0.1:9/' is not an http(s) URL")]
    [InlineData(new[] { "--balancer-token", "x1234567890123456" }, "--balancer-token is given without --balancer")]
    [InlineData(new[] { "--balancer", "http://127.0.0.1:9/", "--balancer", "http://127.0.0.1:9" }, "--balancer http://127.0.0.1:9 is given twice")]
    [InlineData(new[] { "--balancer", "http://127.0.0.1:9/", "--balancer-admin", "http://127.0.0.1:0" }, "--balancer-admin http://127.0.0.1:0 is the in-process balancer's admin API, and there is none")]
    public async Task Bad_balancer_options_are_refused_naming_the_option(string[] arguments, string expected)
    {
        var cli = await WebFarmCli.RunAsync(TimeSpan.FromMinutes(1), ["controller", "--listen", "http://127.0.0.1:0", "--data-dir", _dir.Sub("cli"), .. arguments]);
        Assert.NotEqual(0, cli.ExitCode);
        Assert.Contains(expected, cli.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_balancers_keep_serving_when_the_controller_is_killed()
    {
        var (a, b) = await StartBalancersAsync();
        var port = FreePort.Next();
        var controllerUrl = new Uri($"http://127.0.0.1:{port}/");
        var controller = Own(WebFarmProcess.Start(
            null, "controller", "--listen", controllerUrl.AbsoluteUri, "--data-dir", _dir.Sub("controller"), "--health-path", "/health",
            "--balancer", a.AdminUrl.AbsoluteUri, "--balancer", b.AdminUrl.AbsoluteUri, "--balancer-token", BalancerToken));
        var started = await controller.WaitForLineAsync("controller API on", TimeSpan.FromMinutes(1));
        Assert.Contains("no in-process balancer", started, StringComparison.Ordinal);

        var backend = Own(await BackendProcess.StartAsync("web1"));
        using var api = new HttpClient { BaseAddress = controllerUrl, Timeout = TimeSpan.FromSeconds(30) };
        using var tokenResponse = await api.PostAsync("api/agents/tokens", null);
        tokenResponse.EnsureSuccessStatusCode();
        var joinToken = JsonDocument.Parse(await tokenResponse.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString();
        Own(await ControlAgent.StartAsync(
            new ControlAgentOptions { Controllers = [controllerUrl], Name = "web1", Address = backend.Address, DataDirectory = _dir.Sub("agent1"), JoinToken = joinToken, Limits = WebFarm.Agent.Releases.TreeLimits.Default },
            NullLogger.Instance,
            default));
        using var clientA = new HttpClient { BaseAddress = a.Url, Timeout = TimeSpan.FromSeconds(10) };
        using var clientB = new HttpClient { BaseAddress = b.Url, Timeout = TimeSpan.FromSeconds(10) };
        await Eventually.True(async () => await TryGetAsync(clientA) == "web1" && await TryGetAsync(clientB) == "web1", because: "both balancers serve web1");

        controller.Kill();
        await Eventually.True(() => controller.HasExited, because: "the controller is gone");

        // Longer than a lost-detection window (5 heartbeats) after the kill, every GET through either balancer is served.
        var loopA = new LoadLoop();
        var loopB = new LoadLoop();
        using var window = new CancellationTokenSource(TimeSpan.FromSeconds(7));
        await Task.WhenAll(loopA.RunAsync(clientA, window.Token), loopB.RunAsync(clientB, window.Token));
        Assert.True(loopA.Sent > 0 && loopB.Sent > 0, "the loops sent requests");
        Assert.True(loopA.Failures.Count == 0 && loopB.Failures.Count == 0, $"failed GETs: {string.Join("; ", loopA.Failures.Concat(loopB.Failures).Take(5))}");
        Assert.Equal(["web1"], loopA.Bodies);
        Assert.Equal(["web1"], loopB.Bodies);
        Assert.Equal("online", await a.StateOfAsync("web1"));
        Assert.Equal("online", await b.StateOfAsync("web1"));
    }

    [Fact]
    public async Task A_round_adds_and_sets_what_the_controller_wants_and_removes_only_servers_added_at_run_time_once_removals_are_allowed()
    {
        await using var stat = await BackendProcess.StartAsync("static");
        await using var balancer = await BalancerProcess.StartAsync([stat], BalancerToken);
        using (var admin = balancer.ApiClient())
        {
            using var added = await admin.PostAsync("api/farms/web/servers", new StringContent("{\"name\":\"ghost\",\"address\":\"http://127.0.0.1:9\"}", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(System.Net.HttpStatusCode.Created, added.StatusCode);
        }

        var runtime = new BalancerRuntime(new WebFarm.Balancer.Configuration.BalancerConfig
        {
            Listen = [new WebFarm.Balancer.Configuration.ListenEndpoint("http://127.0.0.1:0")],
            StateDirectory = null,
            Farms = new Dictionary<string, WebFarm.Balancer.Configuration.FarmOptions> { ["web"] = new() { Servers = [] }, ["shop"] = new() { Servers = [] } },
            Routes = [new WebFarm.Balancer.Configuration.RouteOptions { Farm = "web" }],
        });
        await using var owned = runtime;
        runtime.AddServer("web", new WebFarm.Balancer.Configuration.ServerOptions { Name = "web1", Address = "http://127.0.0.1:10" });
        runtime.AddServer("web", new WebFarm.Balancer.Configuration.ServerOptions { Name = "web2", Address = "http://127.0.0.1:11" });
        runtime.SetWeight("web", "web1", 7);
        runtime.SetState("web", "web2", ServerState.Offline);
        runtime.AddServer("shop", new WebFarm.Balancer.Configuration.ServerOptions { Name = "web1", Address = "http://127.0.0.1:12" });
        using var external = new ExternalBalancer(new BalancerEndpoint(balancer.AdminUrl, BalancerToken), NullLogger.Instance);

        await external.ReconcileAsync(DesiredRotation.From(runtime), mayRemove: false, default);
        var servers = await balancer.ServersAsync();
        Assert.Equal(["ghost", "static", "web1"], servers.Keys.Order());
        Assert.Equal(7, servers["web1"].GetProperty("weight").GetInt32());
        Assert.Equal(["shop"], external.Status.MissingFarms);
        Assert.Contains("has no farm 'shop' in its configuration", external.Status.Error, StringComparison.Ordinal);

        await external.ReconcileAsync(DesiredRotation.From(runtime), mayRemove: true, default);
        Assert.Equal(["static", "web1"], (await balancer.ServersAsync()).Keys.Order()); // The config file's server stays.

        // web2 back online but unhealthy to the controller: added out of rotation (its own check, 1 s apart, has not
        // failed twice yet: added healthy, it would still be taking requests); web1 moved: replaced at its new address.
        runtime.SetState("web", "web2", ServerState.Online);
        runtime.SetHealth("web", "web2", healthy: false, "not ready");
        runtime.RemoveServer("web", "web1");
        runtime.AddServer("web", new WebFarm.Balancer.Configuration.ServerOptions { Name = "web1", Address = "http://127.0.0.1:13" });
        await external.ReconcileAsync(DesiredRotation.From(runtime), mayRemove: true, default);
        servers = await balancer.ServersAsync();
        Assert.Equal(["static", "web1", "web2"], servers.Keys.Order());
        Assert.Equal("http://127.0.0.1:13/", servers["web1"].GetProperty("address").GetString());
        Assert.False(servers["web2"].GetProperty("healthy").GetBoolean());
    }

    [Fact]
    public async Task A_balancer_without_a_health_check_gets_an_unhealthy_server_only_once_the_controller_sees_it_healthy()
    {
        // The balancer's farm has no active health check, so it refuses a server added out of rotation (nothing of its
        // own would ever bring it in). Added healthy instead, it would take requests the controller knows it cannot serve.
        await using var balancer = await BalancerProcess.StartAsync([], BalancerToken, healthPath: null);
        var runtime = new BalancerRuntime(new WebFarm.Balancer.Configuration.BalancerConfig
        {
            Listen = [new WebFarm.Balancer.Configuration.ListenEndpoint("http://127.0.0.1:0")],
            StateDirectory = null,
            Farms = new Dictionary<string, WebFarm.Balancer.Configuration.FarmOptions> { ["web"] = new() { Servers = [] } },
            Routes = [new WebFarm.Balancer.Configuration.RouteOptions { Farm = "web" }],
        });
        await using var owned = runtime;
        runtime.AddServer("web", new WebFarm.Balancer.Configuration.ServerOptions { Name = "web1", Address = "http://127.0.0.1:10" });
        runtime.AddServer("web", new WebFarm.Balancer.Configuration.ServerOptions { Name = "web2", Address = "http://127.0.0.1:11" });
        runtime.SetHealth("web", "web2", healthy: false, "not ready");
        using var external = new ExternalBalancer(new BalancerEndpoint(balancer.AdminUrl, BalancerToken), NullLogger.Instance);

        await external.ReconcileAsync(DesiredRotation.From(runtime), mayRemove: true, default);
        Assert.Equal(["web1"], (await balancer.ServersAsync()).Keys.Order());
        Assert.Contains($"balancer {external.Name} refuses web/web2 out of rotation", external.Status.Error, StringComparison.Ordinal);
        Assert.Contains("needs an active health check", external.Status.Error, StringComparison.Ordinal);

        runtime.SetHealth("web", "web2", healthy: true, "ready");
        await external.ReconcileAsync(DesiredRotation.From(runtime), mayRemove: true, default);
        var servers = await balancer.ServersAsync();
        Assert.Equal(["web1", "web2"], servers.Keys.Order());
        Assert.True(servers["web2"].GetProperty("healthy").GetBoolean());
        Assert.Null(external.Status.Error);
    }

    [Fact]
    public async Task A_stage_farm_and_its_routes_are_created_left_alone_while_unchanged_put_back_after_a_restart_and_removed_with_the_stage()
    {
        await using var live = await BackendProcess.StartAsync("live");
        await using var staged = await BackendProcess.StartAsync("staged");
        await using var balancer = await BalancerProcess.StartAsync([], BalancerToken, ["hello"], route: "hello");
        await using var rotation = await FarmRotation.StartAsync("web", null, null, null, "/health", TimeSpan.FromSeconds(1), [], TimeSpan.FromSeconds(5), null, default);
        AppDefinition[] apps = [App("hello", []), App("shop", ["shop.example"])];
        rotation.SetStage("hello", new StageRoute(7, "/v2"));
        rotation.SetStage("shop", new StageRoute(3, null)); // The balancer's file has no farm 'shop': refused there, hello's stage goes on.
        rotation.ApplyApps(apps);
        rotation.BringIn("hello", "live", live.Address);
        rotation.BringIn(FarmRotation.StageFarmOf("hello"), "staged", staged.Address);
        using var external = new ExternalBalancer(new BalancerEndpoint(balancer.AdminUrl, BalancerToken), NullLogger.Instance);
        using var client = new HttpClient { BaseAddress = balancer.Url, Timeout = TimeSpan.FromSeconds(10) };

        await external.ReconcileAsync(DesiredRotation.From(rotation.Runtime), mayRemove: true, default);
        Assert.Contains("refuses stage farm 'shop.stage' (like: the configuration file has no farm 'shop'", external.Status.Error, StringComparison.Ordinal);
        Assert.Equal(["hello.stage"], (await ControllerFarmsAsync(balancer)).Select(f => f.GetProperty("name").GetString()));
        await AssertServedAsync(client, staged: true);

        // Unchanged: the next round changes nothing.
        var changes = external.Status.ChangesApplied;
        await external.ReconcileAsync(DesiredRotation.From(rotation.Runtime), mayRemove: true, default);
        Assert.Equal(changes, external.Status.ChangesApplied);

        // A restarted balancer serves its file alone (the stage farm is not persisted) until the next round puts it back.
        await balancer.RestartAsync(forgetState: false);
        Assert.Empty(await ControllerFarmsAsync(balancer));
        Assert.Equal("live", await ReleaseAsync(client, "/", "7"));
        await external.ReconcileAsync(DesiredRotation.From(rotation.Runtime), mayRemove: true, default);
        await AssertServedAsync(client, staged: true);

        // Unstaged: kept while removals wait (a new leader's first heartbeat window), then removed with its routes.
        rotation.SetStage("hello", null);
        rotation.SetStage("shop", null);
        rotation.ApplyApps(apps);
        await external.ReconcileAsync(DesiredRotation.From(rotation.Runtime), mayRemove: false, default);
        Assert.Single(await ControllerFarmsAsync(balancer));
        await external.ReconcileAsync(DesiredRotation.From(rotation.Runtime), mayRemove: true, default);
        Assert.True(external.Status.InStep, external.Status.Error);
        Assert.Empty(await ControllerFarmsAsync(balancer));
        Assert.DoesNotContain("hello.stage", (await ListFarmNamesAsync(balancer)));
        await AssertServedAsync(client, staged: false);
    }

    private static async Task AssertServedAsync(HttpClient client, bool staged)
    {
        var stage = staged ? "staged" : "live";
        await Eventually.True(async () => await ReleaseAsync(client, "/", "7") == stage && await ReleaseAsync(client, "/v2/", null) == stage, because: $"the header and the path reach {stage}");
        Assert.Equal("live", await ReleaseAsync(client, "/", null));
        Assert.Equal("live", await ReleaseAsync(client, "/", "6"));
    }

    /// <summary>The X-Backend header of the answer to GET <paramref name="path"/> (with X-WebFarm-Release when given), or null.</summary>
    private static async Task<string?> ReleaseAsync(HttpClient client, string path, string? release)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (release is not null)
        {
            request.Headers.Add(FarmRotation.ReleaseHeader, release);
        }

        try
        {
            using var response = await client.SendAsync(request);
            return response.Headers.TryGetValues("X-Backend", out var backend) ? backend.Single() : null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static async Task<List<JsonElement>> ControllerFarmsAsync(BalancerProcess balancer)
    {
        using var admin = balancer.ApiClient();
        using var json = JsonDocument.Parse(await admin.GetStringAsync("/api/controller/farms"));
        return [.. json.RootElement.EnumerateArray().Select(f => f.Clone())];
    }

    private static async Task<List<string>> ListFarmNamesAsync(BalancerProcess balancer)
    {
        using var admin = balancer.ApiClient();
        using var json = JsonDocument.Parse(await admin.GetStringAsync("/api/farms"));
        return [.. json.RootElement.EnumerateArray().Select(f => f.GetProperty("name").GetString()!)];
    }

    private static AppDefinition App(string name, IReadOnlyList<string> hosts)
        => new(name, string.Empty, [], 5000, 5009, "/health", new Dictionary<string, string>(), [], hosts);

    private static async Task<string?> TryGetAsync(HttpClient client)
    {
        try
        {
            return await client.GetStringAsync("/");
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static async Task<JsonElement?> BalancerStatusAsync(TestController controller, BalancerProcess balancer)
        => (await controller.ListAsync("api/balancers")).FirstOrDefault(s => s.GetProperty("balancer").GetString() == balancer.AdminUrl.AbsoluteUri.TrimEnd('/')) is { ValueKind: JsonValueKind.Object } found ? found : null;

    private async Task<(BalancerProcess A, BalancerProcess B)> StartBalancersAsync()
    {
        var started = await Task.WhenAll(BalancerProcess.StartAsync([], BalancerToken), BalancerProcess.StartAsync([], BalancerToken));
        return (Own(started[0]), Own(started[1]));
    }

    private async Task<TestController> StartControllerAsync(BalancerProcess a, BalancerProcess b)
        => Own(await TestController.StartAsync(_dir.Sub("controller"), configure: o => o with
        {
            BalancerListen = null,
            Balancers = [new BalancerEndpoint(a.AdminUrl, BalancerToken), new BalancerEndpoint(b.AdminUrl, BalancerToken)],
        }));

    private ControllerOptions ControllerOptionsFor(IReadOnlyList<BalancerEndpoint> balancers) => new()
    {
        Listen = "http://127.0.0.1:0",
        DataDirectory = _dir.Sub("controller"),
        BalancerListen = null,
        Balancers = balancers,
        HealthPath = "/health",
    };

    private T Own<T>(T owned)
        where T : IAsyncDisposable
        => _started.Own(owned);
}
