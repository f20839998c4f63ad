using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using WebFarm.Agent.Control;
using WebFarm.Controller.Tests.Infrastructure;
using Xunit.Abstractions;

namespace WebFarm.Controller.Tests.Leadership;

/// <summary>
/// Two real `webfarm controller` processes on one real PostgreSQL: one leads, the other stands by and names it; agents
/// and the CLI given both URLs follow the leader; `kill -9` of the leader under heartbeats hands the farm to the
/// standby within 5 s without a server being lost.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ControllerPairTests(PostgresServer postgres, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        _http.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task The_standby_names_the_leader_and_takes_over_within_5_s_of_a_kill_9_with_no_server_lost()
    {
        var store = await PostgresDatabase.CreateAsync(postgres);
        var (first, firstUrl) = await StartControllerAsync(store, "first");
        var (_, secondUrl) = await StartControllerAsync(store, "second");

        // The first to start leads (it took the lock before printing its address); the second names it.
        Assert.Equal(("leader", firstUrl), await StatusAsync(firstUrl));
        await Eventually.True(async () => await StatusAsync(secondUrl) == ("standby", firstUrl), because: "the standby learns who leads");
        using (var refused = await _http.GetAsync(new Uri(new Uri(secondUrl), "api/agents")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal(firstUrl, Assert.Single(refused.Headers.GetValues(LeaderFollower.LeaderHeader)));
            Assert.Equal(LeaderFollower.StandbyRole, Assert.Single(refused.Headers.GetValues(LeaderFollower.RoleHeader)));
            Assert.Contains($"the leader is {firstUrl}", await refused.Content.ReadAsStringAsync());
        }

        // The CLI, given the standby first, gets its join tokens from the leader.
        var both = $"{secondUrl},{firstUrl}";
        var agents = new List<ControlAgent>();
        for (var n = 1; n <= 2; n++)
        {
            var token = await RunCliAsync("agents", "token", "--controller", both);
            var backend = await BackendProcess.StartAsync($"web{n}");
            _owned.Add(backend);
            var agent = await ControlAgent.StartAsync(
                new ControlAgentOptions { Controllers = [new Uri(secondUrl), new Uri(firstUrl)], Name = $"web{n}", Address = backend.Address, DataDirectory = _dir.Sub($"agent{n}"), JoinToken = token.Trim() },
                NullLogger.Instance,
                default);
            _owned.Add(agent);
            agents.Add(agent);
        }

        await Eventually.True(async () => await StatesAsync(firstUrl) == "web1=ready,web2=ready", TimeSpan.FromSeconds(60), "both servers ready on the leader");
        Assert.All(agents, a => Assert.Equal(new Uri(firstUrl), a.Controller));

        first.Kill();
        var killed = Stopwatch.StartNew();
        var killedAt = DateTimeOffset.UtcNow;
        await Eventually.True(async () => (await StatusAsync(secondUrl)).Role == "leader", TimeSpan.FromSeconds(5), "the standby leads within 5 s of the leader's kill -9");
        var takeover = killed.Elapsed;
        output.WriteLine($"the standby led {takeover.TotalMilliseconds:0} ms after the leader's kill -9");

        // Heartbeats reach the new leader for longer than the lost window (5 missed = 5 s) after the kill: had any
        // server been marked lost meanwhile, the new leader's stream would hold its `failed` event.
        await Eventually.True(
            async () => (await AgentsAsync(secondUrl)).All(a => a.GetProperty("lastHeartbeat") is { ValueKind: JsonValueKind.String } last && last.GetDateTimeOffset() > killedAt.AddSeconds(6)),
            TimeSpan.FromSeconds(30),
            "agents heartbeat to the new leader for 6 s after the kill");
        Assert.All(agents, a => Assert.Equal(new Uri(secondUrl), a.Controller));
        Assert.DoesNotContain(await EventsAsync(secondUrl), e => e.GetProperty("kind").GetString() == "failed");
        await Eventually.True(async () => await StatesAsync(secondUrl) == "web1=ready,web2=ready", TimeSpan.FromSeconds(30), "both servers ready on the new leader");

        // The new leader drives its balancer, and the CLI given the dead leader first still lists the farm.
        var list = await RunCliAsync("agents", "list", "--controller", $"{firstUrl},{secondUrl}");
        Assert.Contains("web1", list);
        Assert.Contains("web2", list);
        Assert.True(takeover <= TimeSpan.FromSeconds(5), $"takeover took {takeover}");
    }

    private async Task<(WebFarmProcess Process, string Url)> StartControllerAsync(string store, string name)
    {
        var process = WebFarmProcess.Start(
            null,
            "controller", "--store", store, "--data-dir", _dir.Sub(name), "--listen", "http://127.0.0.1:0",
            "--balancer-listen", "http://127.0.0.1:0", "--health-path", "/health", "--log-level", "Warning");
        _owned.Add(process);

        // "controller API on http://127.0.0.1:PORT/; balancer on ..."
        var line = await process.WaitForLineAsync("controller API on ", TimeSpan.FromSeconds(60));
        return (process, line.Split(' ')[3].TrimEnd(';'));
    }

    private async Task<string> RunCliAsync(params string[] arguments)
    {
        await using var cli = WebFarmProcess.Start(null, arguments);
        var (code, output) = await cli.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(code == 0, $"webfarm {string.Join(' ', arguments)} exited {code}:\n{output}");
        return output;
    }

    private async Task<(string Role, string? Leader)> StatusAsync(string controller)
    {
        using var json = JsonDocument.Parse(await _http.GetStringAsync(new Uri(new Uri(controller), "api/controller")));
        return (json.RootElement.GetProperty("role").GetString()!, json.RootElement.GetProperty("leader").GetString());
    }

    private async Task<List<JsonElement>> AgentsAsync(string controller)
    {
        using var json = JsonDocument.Parse(await _http.GetStringAsync(new Uri(new Uri(controller), "api/agents")));
        return [.. json.RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    private async Task<string> StatesAsync(string controller)
        => string.Join(",", (await AgentsAsync(controller)).Select(a => $"{a.GetProperty("name").GetString()}={a.GetProperty("state").GetString()}"));

    private async Task<List<JsonElement>> EventsAsync(string controller)
    {
        using var json = JsonDocument.Parse(await _http.GetStringAsync(new Uri(new Uri(controller), "api/events")));
        return [.. json.RootElement.EnumerateArray().Select(e => e.Clone())];
    }
}
