using System.Text.Json;
using WebFarm.Agent.Control;
using WebFarm.Controller.Tests.Infrastructure;

namespace WebFarm.Controller.Tests.Commands;

/// <summary>`webfarm run` through real agents (in this process) running real processes: exit codes, output, timeouts,
/// and the refusal of agents not started with --allow-commands.</summary>
public sealed class RunTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly List<ControlAgent> _agents = [];
    private TestController _controller = null!;

    public async Task InitializeAsync()
    {
        _controller = await TestController.StartAsync(_dir.Sub("controller"));
        _agents.Add(await _controller.StartAgentAsync("web1", "http://127.0.0.2:1", _dir.Sub("agent1"), await _controller.NewJoinTokenAsync(), allowCommands: true));
        _agents.Add(await _controller.StartAgentAsync("web2", "http://127.0.0.3:1", _dir.Sub("agent2"), await _controller.NewJoinTokenAsync(), allowCommands: true));
        _agents.Add(await _controller.StartAgentAsync("web3", "http://127.0.0.4:1", _dir.Sub("agent3"), await _controller.NewJoinTokenAsync()));
    }

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
    public async Task A_command_runs_on_the_servers_asked_with_each_output_and_exit_code()
    {
        var (status, body) = await RunAsync("""{"servers":["web1","web2"],"command":["sh","-c","echo out-$0; echo err >&2; exit 3","x"],"timeoutSeconds":30}""");
        Assert.True(status == 200, body);
        using var json = JsonDocument.Parse(body);
        var results = json.RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["web1", "web2"], results.Select(r => r.GetProperty("server").GetString()));
        Assert.All(results, r =>
        {
            Assert.Equal(3, r.GetProperty("exitCode").GetInt32());
            Assert.Contains("out-x\n", r.GetProperty("output").GetString());
            Assert.Contains("err\n", r.GetProperty("output").GetString());
            Assert.Equal(JsonValueKind.Null, r.GetProperty("error").ValueKind);
        });
        Assert.Contains(await _controller.ListAsync("api/trace?server=web1&filter=exited with 3"), r => r.GetProperty("source").GetString() == "agent");
    }

    [Fact]
    public async Task A_command_past_its_timeout_is_killed_and_says_so()
    {
        var (status, body) = await RunAsync("""{"servers":["web1"],"command":["sleep","60"],"timeoutSeconds":1}""");
        Assert.True(status == 200, body);
        using var json = JsonDocument.Parse(body);
        var result = Assert.Single(json.RootElement.GetProperty("results").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("exitCode").ValueKind);
        Assert.Equal("timed out after 1 s; killed", result.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Servers_whose_agent_does_not_allow_commands_are_refused_and_nothing_runs_anywhere()
    {
        var (status, error) = await _controller.PostAsync("api/run", """{"servers":"all","command":["touch","/tmp/never"],"timeoutSeconds":5}""");
        Assert.Equal((409, "servers: the agent of web3 was not started with --allow-commands (commands are off by default); nothing was run"), (status, error));

        (status, error) = await _controller.PostAsync("api/run", """{"servers":["web9"],"command":["true"]}""");
        Assert.Equal(404, status);
        Assert.StartsWith("servers: no server named 'web9' has joined", error);

        (status, error) = await _controller.PostAsync("api/run", """{"servers":["web1"],"command":[]}""");
        Assert.Equal((400, "command: is required: the program and its arguments, like [\"uptime\"]"), (status, error));

        (status, error) = await _controller.PostAsync("api/run", """{"servers":["web1"],"command":["true"],"timeoutSeconds":-1}""");
        Assert.Equal(400, status);
        Assert.StartsWith("timeoutSeconds: expected a number of seconds above 0", error);

        // A heartbeat or two later, no agent ran anything.
        var before = _agents[0].HeartbeatsAccepted;
        await Eventually.True(() => _agents[0].HeartbeatsAccepted >= before + 2, TimeSpan.FromSeconds(30), "two more heartbeats");
        Assert.Empty(await _controller.ListAsync("api/trace?filter=running"));
    }

    private async Task<(int Status, string Body)> RunAsync(string body)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await _controller.Http.PostAsync("api/run", content);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
