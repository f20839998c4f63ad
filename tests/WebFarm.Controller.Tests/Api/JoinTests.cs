using WebFarm.Agent.Control;
using WebFarm.Controller.Hosting;
using WebFarm.Controller.Tests.Infrastructure;

namespace WebFarm.Controller.Tests.Api;

/// <summary>The join rules, through the real agent code against a real controller on loopback.</summary>
public sealed class JoinTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_wrong_or_reused_join_token_is_refused_with_401_and_a_clear_message()
    {
        await using var controller = await TestController.StartAsync(_dir.Sub("controller"));
        var wrong = await Assert.ThrowsAsync<AgentRefusedException>(() => controller.StartAgentAsync("web1", "http://127.0.0.1:1", _dir.Sub("a1"), "wfj_not-a-token"));
        Assert.Equal(401, wrong.StatusCode);
        Assert.Contains("refused the join (401): the join token is not valid", wrong.Message);
        Assert.False(File.Exists(AgentCredential.PathIn(_dir.Sub("a1"))));

        var token = await controller.NewJoinTokenAsync();
        await using (var agent = await controller.StartAgentAsync("web1", "http://127.0.0.1:1", _dir.Sub("a1"), token))
        {
            Assert.Equal("web1", agent.Name);
        }

        var reused = await Assert.ThrowsAsync<AgentRefusedException>(() => controller.StartAgentAsync("web2", "http://127.0.0.1:2", _dir.Sub("a2"), token));
        Assert.Equal(401, reused.StatusCode);
        Assert.Contains("already used", reused.Message);
        Assert.Equal(["web1"], (await controller.AgentsAsync()).Select(a => a.GetProperty("name").GetString()));

        // The same answer on the wire, for any client.
        var (status, error) = await controller.PostAsync("api/agents/join", $$"""{"joinToken":"{{token}}","name":"web3","address":"http://127.0.0.1:3"}""");
        Assert.Equal(401, status);
        Assert.Contains("already used", error);
    }

    [Fact]
    public async Task The_agent_command_refused_a_join_exits_1_with_the_controllers_reason()
    {
        await using var controller = await TestController.StartAsync(_dir.Sub("controller"));
        var (exitCode, stdout, stderr) = await WebFarmCli.RunAsync(TimeSpan.FromSeconds(60), "agent", "--controller", controller.Host.Url.ToString(), "--name", "web1", "--address", "http://127.0.0.1:1", "--data-dir", _dir.Sub("agent"), "--join-token", "wfj_wrong");
        Assert.True(exitCode == 1, $"exit code {exitCode}: {stderr}{stdout}");
        Assert.Contains("webfarm agent: cannot join: controller", stderr);
        Assert.Contains("refused the join (401): the join token is not valid", stderr);
        Assert.Empty(await controller.AgentsAsync());
    }

    [Fact]
    public async Task A_restarted_agent_rejoins_with_its_stored_credential_as_the_same_server_also_after_a_controller_restart()
    {
        var controllerDir = _dir.Sub("controller");
        var agentDir = _dir.Sub("agent");
        await using (var controller = await TestController.StartAsync(controllerDir))
        {
            var token = await controller.NewJoinTokenAsync();
            await (await controller.StartAgentAsync("web1", "http://127.0.0.1:1", agentDir, token)).DisposeAsync();

            // No token this time: the credential in the data directory is enough.
            await using var again = await controller.StartAgentAsync("web1", "http://127.0.0.1:1", agentDir, joinToken: null);
            Assert.Equal("web1", again.Name);
            Assert.True(again.HeartbeatsAccepted >= 1);
            Assert.Single(await controller.AgentsAsync());
        }

        await using (var restarted = await TestController.StartAsync(controllerDir))
        {
            await using var agent = await restarted.StartAgentAsync("web1", "http://127.0.0.1:1", agentDir, joinToken: null);
            var only = Assert.Single(await restarted.AgentsAsync());
            Assert.Equal("web1", only.GetProperty("name").GetString());
            Assert.NotEqual(System.Text.Json.JsonValueKind.Null, only.GetProperty("lastHeartbeat").ValueKind);
        }

        // A controller that never saw this agent (another store) refuses its credential, and says what to do.
        await using var stranger = await TestController.StartAsync(_dir.Sub("other-controller"));
        var refused = await Assert.ThrowsAsync<AgentRefusedException>(() => stranger.StartAgentAsync("web1", "http://127.0.0.1:1", agentDir, joinToken: null));
        Assert.Equal(401, refused.StatusCode);
        Assert.Contains("join again with a new --join-token", refused.Message);
    }

    [Fact]
    public async Task An_agent_without_credential_or_token_and_a_taken_name_get_clear_errors()
    {
        await using var controller = await TestController.StartAsync(_dir.Sub("controller"));
        var missing = await Assert.ThrowsAsync<ArgumentException>(() => controller.StartAgentAsync("web1", "http://127.0.0.1:1", _dir.Sub("a1"), joinToken: null));
        Assert.Contains("--join-token is required", missing.Message);

        await using var first = await controller.StartAgentAsync("web1", "http://127.0.0.1:1", _dir.Sub("a1"), await controller.NewJoinTokenAsync());
        var token = await controller.NewJoinTokenAsync();
        var taken = await Assert.ThrowsAsync<AgentRefusedException>(() => controller.StartAgentAsync("web1", "http://127.0.0.1:2", _dir.Sub("a2"), token));
        Assert.Equal(409, taken.StatusCode);
        Assert.Contains("already joined", taken.Message);

        // The refused join did not use the token up.
        await using var second = await controller.StartAgentAsync("web2", "http://127.0.0.1:2", _dir.Sub("a2"), token);
        Assert.Equal("web2", second.Name);
    }

    [Fact]
    public async Task An_unwritable_data_directory_is_a_clear_error_at_start()
    {
        var file = _dir.Sub("a-file");
        await File.WriteAllTextAsync(file, "not a directory");
        var controller = await Assert.ThrowsAsync<ControllerStartException>(() => TestController.StartAsync(Path.Combine(file, "data")));
        Assert.Contains($"--data-dir {Path.Combine(file, "data")}: the directory cannot be created or written", controller.Message);

        var agent = await Assert.ThrowsAsync<DataDirectoryException>(() => ControlAgent.StartAsync(
            new ControlAgentOptions { Controllers = [new Uri("http://127.0.0.1:1/")], Name = "web1", Address = "http://127.0.0.1:2", DataDirectory = Path.Combine(file, "agent") },
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance,
            default));
        Assert.Contains("--data-dir", agent.Message);
    }
}
