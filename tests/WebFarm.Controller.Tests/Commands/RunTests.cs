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

    [Fact]
    public async Task Output_streams_per_server_as_it_is_printed_before_the_command_ends_then_each_exit()
    {
        // Prints, waits for a file the test creates only after it has seen the first lines, prints again.
        var gate = _dir.Sub("go");
        var body = JsonSerializer.Serialize(new { servers = new[] { "web1", "web2" }, command = new[] { "sh", "-c", Script(gate), "x" }, timeoutSeconds = 120 });
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/run") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Accept.Add(new System.Net.Http.Headers.MediaTypeWithQualityHeaderValue("application/x-ndjson"));
        using var response = await _controller.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(90));

        var events = new List<(string Server, string Kind, string? Line, int? Exit)>();
        while (events.Count < 2)
        {
            events.Add(await NextEventAsync(reader, limit.Token));
        }

        // Both first lines came while both commands still wait: nothing was held until the end.
        Assert.Equal([("web1", "output", "first-x", null), ("web2", "output", "first-x", null)], events.OrderBy(e => e.Server));
        Assert.False(File.Exists(gate));

        await File.WriteAllTextAsync(gate, "go");
        while (events.Count(e => e.Kind == "exit") < 2)
        {
            events.Add(await NextEventAsync(reader, limit.Token));
        }

        Assert.Null(await reader.ReadLineAsync(limit.Token)); // The stream ends after the last exit.
        foreach (var server in new[] { "web1", "web2" })
        {
            Assert.Equal([("output", "first-x", null), ("output", "second-x", null), ("exit", null, 0)], events.Where(e => e.Server == server).Select(e => (e.Kind, e.Line, e.Exit)));
        }
    }

    [Fact]
    public async Task The_cli_prints_each_server_s_lines_as_they_arrive_then_the_exit_codes()
    {
        var gate = _dir.Sub("go-cli");
        using var cli = WebFarmCli.Start("run", "--servers", "web1", "--timeout", "2m", "--controller", _controller.Host.Url.ToString(), "--", "sh", "-c", Script(gate), "x");
        try
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            Assert.Equal("web1| first-x", await cli.StandardOutput.ReadLineAsync(limit.Token));
            Assert.False(cli.HasExited, "the CLI printed the first line while the command still ran");

            await File.WriteAllTextAsync(gate, "go");
            var rest = await cli.StandardOutput.ReadToEndAsync(limit.Token);
            await cli.WaitForExitAsync(limit.Token);
            Assert.Equal("web1| second-x\n== web1: exit code 0\n", rest);
            Assert.Equal(0, cli.ExitCode);
        }
        finally
        {
            if (!cli.HasExited)
            {
                cli.Kill(entireProcessTree: true);
            }
        }
    }

    private static string Script(string gate) => $"echo first-$0; while [ ! -e '{gate}' ]; do sleep 0.05; done; echo second-$0";

    private static async Task<(string Server, string Kind, string? Line, int? Exit)> NextEventAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        var line = await reader.ReadLineAsync(cancellationToken) ?? throw new Xunit.Sdk.XunitException("the stream ended early");
        using var json = JsonDocument.Parse(line);
        var e = json.RootElement;
        return (
            e.GetProperty("server").GetString()!,
            e.GetProperty("kind").GetString()!,
            e.GetProperty("line").GetString(),
            e.GetProperty("exitCode").ValueKind == JsonValueKind.Number ? e.GetProperty("exitCode").GetInt32() : null);
    }

    private async Task<(int Status, string Body)> RunAsync(string body)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await _controller.Http.PostAsync("api/run", content);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
