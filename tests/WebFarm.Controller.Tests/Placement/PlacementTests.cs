using WebFarm.Agent.Control;
using WebFarm.Controller.Tests.Infrastructure;

namespace WebFarm.Controller.Tests.Placement;

/// <summary>
/// Placement by labels: agents started with labels (kept by the controller), an app added with `on` runs only on the
/// servers whose labels match, an agent restarted with other labels gains or loses it, and bad label syntax is a clear
/// error from the CLI (agent and apps add) before anything reaches the controller.
/// </summary>
public sealed class PlacementTests : IAsyncLifetime
{
    private static readonly TimeSpan Ready = TimeSpan.FromSeconds(90);
    private readonly TempDirectory _dir = new();
    private readonly Dictionary<string, ControlAgent> _agents = new(StringComparer.Ordinal);
    private TestController _controller = null!;

    public async Task InitializeAsync() => _controller = await TestController.StartAsync(_dir.Sub("controller"));

    public async Task DisposeAsync()
    {
        foreach (var agent in _agents.Values)
        {
            await agent.DisposeAsync();
        }

        await _controller.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task An_app_placed_on_a_label_runs_only_on_matching_servers_and_follows_an_agent_s_new_labels()
    {
        await StartAgentAsync("web1", 2, new Dictionary<string, string> { ["role"] = "web", ["zone"] = "a" }, await _controller.NewJoinTokenAsync());
        await StartAgentAsync("web2", 3, new Dictionary<string, string> { ["role"] = "db" }, await _controller.NewJoinTokenAsync());
        await Eventually.True(async () => Labels(await _controller.AgentsAsync(), "web2") == "role=db", TimeSpan.FromSeconds(30), "the controller has web2's labels");
        Assert.Equal("role=web, zone=a", Labels(await _controller.AgentsAsync(), "web1"));

        var (status, error) = await _controller.PostAsync("api/apps", TestApp.Json("hello", "47400-47499", on: new Dictionary<string, string> { ["role"] = "web" }));
        Assert.True(status == 201, error);
        await Eventually.True(async () => (await _controller.InstancesAsync("hello")).Any(r => r.GetProperty("server").GetString() == "web1" && r.GetProperty("inRotation").GetBoolean()), Ready, "web1 (role=web) runs the app");

        // web2 (role=db) has heartbeated since the app was added and was given nothing.
        var added = DateTimeOffset.UtcNow;
        await Eventually.True(async () => LastHeartbeat(await _controller.AgentsAsync(), "web2") > added, TimeSpan.FromSeconds(30), "web2 heartbeated after the app was added");
        Assert.DoesNotContain(await _controller.InstancesAsync("hello"), r => r.GetProperty("server").GetString() == "web2");
        Assert.Null(_controller.Host.Role!.Agents.Instances.Find("hello", "web2"));

        // Restarted with role=web (same credential, no join token): its labels change in the store and it gets the app.
        await _agents["web2"].DisposeAsync();
        _agents.Remove("web2");
        await StartAgentAsync("web2", 3, new Dictionary<string, string> { ["role"] = "web" }, joinToken: null);
        await Eventually.True(async () => (await _controller.InstancesAsync("hello")).Any(r => r.GetProperty("server").GetString() == "web2" && r.GetProperty("inRotation").GetBoolean()), Ready, "web2, now role=web, runs the app");
        var stored = (await _controller.Host.Store.ListServersAsync(default)).Single(s => s.Name == "web2");
        Assert.Equal("web", stored.Labels!["role"]);
    }

    [Theory]
    [InlineData("role", "--label 'role': expected KEY=VALUE, like role=web")]
    [InlineData("role=", "--label 'role=': value is empty")]
    [InlineData("ro le=web", "--label 'ro le=web': key 'ro le' has ' ': only letters, digits, '-', '_' and '.' are allowed")]
    public async Task A_bad_label_stops_the_agent_before_it_joins(string label, string expected)
    {
        var result = await WebFarmCli.RunAsync(TimeSpan.FromMinutes(1), "agent", "--controller", _controller.Host.Url.ToString(), "--name", "web1", "--address", "http://127.0.0.2:1", "--data-dir", _dir.Sub("bad-agent"), "--label", label);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Stderr);
        Assert.Empty(await _controller.AgentsAsync());
    }

    [Fact]
    public async Task A_bad_placement_or_a_repeated_key_is_refused_by_apps_add_and_nothing_is_stored()
    {
        var url = _controller.Host.Url.ToString();
        var bad = await WebFarmCli.RunAsync(TimeSpan.FromMinutes(1), "apps", "add", "hello", "--command", "/bin/true", "--ports", "5000", "--on", "role=web!", "--controller", url);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--on 'role=web!': value 'web!' has '!'", bad.Stderr);
        var twice = await WebFarmCli.RunAsync(TimeSpan.FromMinutes(1), "apps", "add", "hello", "--command", "/bin/true", "--ports", "5000", "--on", "role=web", "--on", "role=db", "--controller", url);
        Assert.Equal(2, twice.ExitCode);
        Assert.Contains("--on 'role=db': the key 'role' is given twice", twice.Stderr);
        var mode = await WebFarmCli.RunAsync(TimeSpan.FromMinutes(1), "apps", "add", "hello", "--command", "/bin/true", "--ports", "5000", "--load-balancing", "fastest", "--controller", url);
        Assert.NotEqual(0, mode.ExitCode);
        Assert.Contains("fastest", mode.Stderr + mode.Stdout);
        Assert.Empty(await _controller.ListAsync("api/apps"));

        var good = await WebFarmCli.RunAsync(TimeSpan.FromMinutes(1), "apps", "add", "hello", "--command", "/bin/true", "--ports", "5000", "--on", "role=web", "--load-balancing", "reported", "--controller", url);
        Assert.True(good.ExitCode == 0, good.Stderr + good.Stdout);
        var app = Assert.Single(await _controller.ListAsync("api/apps"));
        Assert.Equal("reported", app.GetProperty("loadBalancing").GetString());
        Assert.Equal("web", app.GetProperty("on").GetProperty("role").GetString());
    }

    private async Task StartAgentAsync(string name, int address, Dictionary<string, string> labels, string? joinToken)
        => _agents[name] = await _controller.StartAgentAsync(name, $"http://127.0.0.{address}:1", _dir.Sub($"agent-{name}"), joinToken, labels: labels);

    private static string? Labels(List<System.Text.Json.JsonElement> agents, string name)
        => agents.Where(a => a.GetProperty("name").GetString() == name)
            .Select(a => string.Join(", ", a.GetProperty("labels").EnumerateObject().Select(l => $"{l.Name}={l.Value.GetString()}")))
            .FirstOrDefault();

    private static DateTimeOffset? LastHeartbeat(List<System.Text.Json.JsonElement> agents, string name)
        => agents.Where(a => a.GetProperty("name").GetString() == name && a.GetProperty("lastHeartbeat").ValueKind == System.Text.Json.JsonValueKind.String)
            .Select(a => (DateTimeOffset?)a.GetProperty("lastHeartbeat").GetDateTimeOffset())
            .FirstOrDefault();
}
