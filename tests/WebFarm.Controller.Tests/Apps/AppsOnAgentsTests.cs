using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using WebFarm.Agent.Control;
using WebFarm.Controller.Tests.Infrastructure;

namespace WebFarm.Controller.Tests.Apps;

/// <summary>
/// Apps run by real agents (in this process) as real child processes on loopback: the controller assigns the app,
/// each agent runs an instance on a port of its range, and an instance joins the app's farm once healthy.
/// </summary>
public sealed class AppsOnAgentsTests : IAsyncLifetime
{
    private static readonly TimeSpan Ready = TimeSpan.FromSeconds(90);
    private readonly TempDirectory _dir = new();
    private readonly List<ControlAgent> _agents = [];
    private TestController _controller = null!;

    public async Task InitializeAsync() => _controller = await TestController.StartAsync(_dir.Sub("controller"));

    public async Task DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            await agent.DisposeAsync();
        }

        await _controller.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task An_app_runs_on_every_agent_takes_traffic_through_its_farm_shows_in_ps_and_trace_and_stops_when_removed()
    {
        await StartAgentsAsync(2);
        var (status, error) = await _controller.PostAsync("api/apps", TestApp.Json("hello", "47100-47199"));
        Assert.True(status == 201, error);

        await Eventually.True(async () => (await _controller.InstancesAsync("hello")).Count(r => r.GetProperty("inRotation").GetBoolean()) == 2, Ready, "both instances healthy and in the app's farm");
        var rows = await _controller.InstancesAsync("hello");
        Assert.Equal(["web1", "web2"], rows.Select(r => r.GetProperty("server").GetString()));
        var pids = rows.Select(r => r.GetProperty("pid").GetInt32()).ToList();
        foreach (var row in rows)
        {
            Assert.Equal("running", row.GetProperty("state").GetString());
            Assert.InRange(row.GetProperty("port").GetInt32(), 47100, 47199);
            Assert.True(row.GetProperty("memoryBytes").GetInt64() > 1024 * 1024, "the instance's resident memory is read from /proc");
            Assert.True(IsAlive(row.GetProperty("pid").GetInt32()));
        }

        Assert.Contains(_controller.Host.Role!.Agents.List(), a => a.Name == "web1" && a.State == WebFarm.Controller.Agents.AgentState.Ready);

        using var client = new HttpClient { BaseAddress = _controller.Host.BalancerUrl, Timeout = TimeSpan.FromSeconds(10) };
        var seen = new HashSet<string>();
        for (var i = 0; i < 200 && seen.Count < 2; i++)
        {
            using var response = await client.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            seen.Add(await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(["web1", "web2"], seen.Order());

        // Farm-level server operations go through the controller with the balancer admin API's own endpoints.
        var drain = await WebFarmCli.RunAsync(TimeSpan.FromMinutes(1), "servers", "drain", "web1", "--farm", "hello", "--controller", _controller.Host.Url.ToString());
        Assert.True(drain.ExitCode == 0, drain.Stderr + drain.Stdout);
        Assert.Equal(WebFarm.Balancer.Farms.ServerState.Draining, _controller.Host.Rotation.Runtime.GetServer("hello", "web1").State);
        var unknown = await WebFarmCli.RunAsync(TimeSpan.FromMinutes(1), "servers", "online", "web9", "--farm", "hello", "--controller", _controller.Host.Url.ToString());
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("404", unknown.Stderr);
        Assert.Equal(0, (await WebFarmCli.RunAsync(TimeSpan.FromMinutes(1), "servers", "online", "web1", "--farm", "hello", "--controller", _controller.Host.Url.ToString())).ExitCode);

        // The trace: the agents' events and the apps' own output, merged; --filter and --server narrow it.
        await Eventually.True(async () => (await _controller.ListAsync("api/trace?filter=LISTENING")).Count == 2, TimeSpan.FromSeconds(30), "both instances' first output line reached the controller");
        var web1 = await _controller.ListAsync("api/trace?server=web1");
        Assert.All(web1, r => Assert.Equal("web1", r.GetProperty("server").GetString()));
        Assert.Contains(web1, r => r.GetProperty("source").GetString() == "agent" && r.GetProperty("message").GetString()!.StartsWith("app hello: starting", StringComparison.Ordinal));
        Assert.Contains(web1, r => r.GetProperty("source").GetString() == "hello" && r.GetProperty("message").GetString()!.StartsWith("LISTENING http://127.0.0.2:", StringComparison.Ordinal));
        var all = await _controller.ListAsync("api/trace");
        Assert.Equal(all.Select(r => r.GetProperty("time").GetDateTimeOffset()).Order(), all.Select(r => r.GetProperty("time").GetDateTimeOffset()));

        Assert.Equal(200, (await _controller.SendAsync(HttpMethod.Delete, "api/trace?server=web1")).Status);
        Assert.Empty(await _controller.ListAsync("api/trace?server=web1"));
        Assert.NotEmpty(await _controller.ListAsync("api/trace?server=web2"));
        await Eventually.True(() => _agents[0].Trace.Since(0).Count == 0, TimeSpan.FromSeconds(15), "web1's agent cleared its own ring at its next heartbeat");

        Assert.Equal(204, (await _controller.SendAsync(HttpMethod.Delete, "api/apps/hello")).Status);
        await Eventually.True(async () => (await _controller.InstancesAsync("hello")).Count == 0, TimeSpan.FromSeconds(60), "the agents stopped the removed app's instances");
        Assert.All(pids, pid => Assert.False(IsAlive(pid), $"pid {pid} still runs"));
        Assert.False(_controller.Host.Rotation.Runtime.Farms.ContainsKey("hello"));
    }

    [Fact]
    public async Task An_instance_whose_port_range_is_taken_on_its_server_is_reported_and_starts_once_a_port_frees()
    {
        using var holder = new TcpListener(IPAddress.Parse("127.0.0.2"), 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        await StartAgentsAsync(1);
        var (status, error) = await _controller.PostAsync("api/apps", TestApp.Json("hello", port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.True(status == 201, error);

        await Eventually.True(async () => (await _controller.InstancesAsync("hello")).Count == 1, Ready, "the agent reports its instance");
        var row = Assert.Single(await _controller.InstancesAsync("hello"));
        Assert.Equal("failed", row.GetProperty("state").GetString());
        Assert.Equal($"no free port in {port}-{port} on 127.0.0.2: every port of the app's range is taken on this server", row.GetProperty("detail").GetString());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("pid").ValueKind);
        Assert.Contains(await _controller.ListAsync("api/trace?filter=no free port"), r => r.GetProperty("server").GetString() == "web1");

        holder.Stop();
        await Eventually.True(async () => (await _controller.InstancesAsync("hello")).Any(r => r.GetProperty("inRotation").GetBoolean()), Ready, "the agent retried and the instance came into rotation");
    }

    [Fact]
    public async Task A_rolling_restart_under_load_restarts_every_instance_one_at_a_time_without_a_failed_request()
    {
        await StartAgentsAsync(3);
        var (status, error) = await _controller.PostAsync("api/apps", TestApp.Json("hello", "47200-47299"));
        Assert.True(status == 201, error);
        await Eventually.True(async () => (await _controller.InstancesAsync("hello")).Count(r => r.GetProperty("inRotation").GetBoolean()) == 3, Ready, "three instances in rotation");
        var before = (await _controller.InstancesAsync("hello")).ToDictionary(r => r.GetProperty("server").GetString()!, r => r.GetProperty("pid").GetInt32());

        using var client = new HttpClient { BaseAddress = _controller.Host.BalancerUrl, Timeout = TimeSpan.FromSeconds(30) };
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var loop = new LoadLoop();
        var load = loop.RunAsync(client, stop.Token);
        await Eventually.True(() => loop.Bodies.Count == 3, TimeSpan.FromSeconds(60), "the load reaches all three servers before the restart");

        using var api = new HttpClient { BaseAddress = _controller.Host.Url, Timeout = TimeSpan.FromMinutes(5) }; // Three servers, one at a time.
        using var restart = await api.PostAsync("api/apps/hello/restart", null);
        var text = await restart.Content.ReadAsStringAsync();
        Assert.True(restart.IsSuccessStatusCode, text);
        using var result = JsonDocument.Parse(text);
        Assert.True(result.RootElement.GetProperty("completed").GetBoolean(), text);
        Assert.Equal(["web1", "web2", "web3"], result.RootElement.GetProperty("servers").EnumerateArray().Select(s => s.GetProperty("server").GetString()));
        Assert.All(result.RootElement.GetProperty("servers").EnumerateArray(), s => Assert.Equal("restarted", s.GetProperty("outcome").GetString()));

        // Load keeps flowing after the last server came back, then stops.
        var sentAfter = loop.Sent;
        await Eventually.True(() => loop.Sent > sentAfter + 20, TimeSpan.FromSeconds(60), "the load runs on after the restart");
        await stop.CancelAsync();
        await load;
        Assert.True(loop.Failures.Count == 0, $"{loop.Failures.Count} of {loop.Sent} GETs failed during the rolling restart: {string.Join("; ", loop.Failures.Take(5))}");

        var after = (await _controller.InstancesAsync("hello")).ToDictionary(r => r.GetProperty("server").GetString()!, r => r.GetProperty("pid").GetInt32());
        foreach (var (server, pid) in before)
        {
            Assert.NotEqual(pid, after[server]);
            Assert.False(IsAlive(pid), $"{server}'s old pid {pid} still runs");
        }

        // One at a time: each server drained before its restart, and the next drain began only after it was back online.
        var events = (await _controller.EventsAsync()).Where(e => e.GetProperty("farm").GetString() == "hello").ToList();
        var order = events.Select(e => (Server: e.GetProperty("server").GetString(), Kind: e.GetProperty("kind").GetString()))
            .Where(e => e.Kind is "draining" or "online").ToList();
        Assert.Equal(
            [("web1", "draining"), ("web1", "online"), ("web2", "draining"), ("web2", "online"), ("web3", "draining"), ("web3", "online")],
            order.SkipWhile(e => e.Kind != "draining").ToList());
    }

    private async Task StartAgentsAsync(int count)
    {
        for (var n = 1; n <= count; n++)
        {
            // Each "server" has its own loopback address (127.0.0.N+1), where its instances listen, as on separate
            // machines; its own address serves nothing: the server is ready through its app instances.
            _agents.Add(await _controller.StartAgentAsync($"web{n}", $"http://127.0.0.{n + 1}:1", _dir.Sub($"agent{n}"), await _controller.NewJoinTokenAsync()));
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
