using System.Diagnostics;
using WebFarm.Balancer.Tests.Infrastructure;
using WebFarm.Balancer.Tests.Resilience;
using WebFarm.Controller.Tests.Infrastructure;

namespace WebFarm.Controller.Tests.MultiMachine;

/// <summary>
/// Two "machines" (network namespaces with their own addresses), each with a real `webfarm agent` process and a real
/// backend; the controller and its balancer on the host side. Only the namespaces' 10.231.N.0/24 links and loopback
/// carry traffic.
/// </summary>
[Collection(nameof(MultiMachineTests))] // One network at a time: the namespaces have fixed names.
public sealed class MultiMachineTests : IAsyncLifetime
{
    private const string OperatorToken = "multi-machine-operator-token";
    private readonly TempDirectory _dir = new();
    private readonly List<IAsyncDisposable> _processes = [];
    private MachineNetwork? _network;

    public Task InitializeAsync()
    {
        if (MachineNetwork.IsPermitted(out _))
        {
            _network = MachineNetwork.Create(2);
        }

        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        _network?.Dispose();
        _dir.Dispose();
    }

    [NetnsFact]
    public async Task Agents_join_from_their_machines_traffic_reaches_both_and_a_frozen_agent_is_lost_then_rejoins_without_a_failed_request()
    {
        // The controller listens on the host side of machine 1's link; machine 2 reaches it through its default route.
        await using var controller = await TestController.StartAsync(_dir.Sub("controller"), OperatorToken, listen: $"http://{MachineNetwork.HostAddress(1)}:0");
        var agents = new AgentProcess[2];
        for (var n = 1; n <= 2; n++)
        {
            var name = $"web{n}";
            _processes.Add(await BackendProcess.StartAsync(name, MachineNetwork.Namespace(n), MachineNetwork.MachineAddress(n), 5000));
            agents[n - 1] = AgentProcess.Start(
                MachineNetwork.Namespace(n),
                "--controller", controller.Host.Url.ToString(),
                "--name", name,
                "--address", $"http://{MachineNetwork.MachineAddress(n)}:5000",
                "--data-dir", _dir.Sub("agent" + n),
                "--join-token", await controller.NewJoinTokenAsync());
            _processes.Add(agents[n - 1]);
        }

        await Eventually.True(
            async () => await controller.StateOfAsync("web1") == "ready" && await controller.StateOfAsync("web2") == "ready",
            TimeSpan.FromSeconds(90),
            "both servers joined and passed their health check");

        using var client = new HttpClient { BaseAddress = controller.Host.BalancerUrl, Timeout = TimeSpan.FromSeconds(10) };
        var seen = new HashSet<string>();
        for (var i = 0; i < 100 && seen.Count < 2; i++)
        {
            using var response = await client.GetAsync("/");
            Assert.Equal(200, (int)response.StatusCode);
            seen.Add(await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(["web1", "web2"], seen.Order());

        // Traffic runs through the balancer for the whole freeze and rejoin; every GET must succeed.
        using var stopLoad = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var loop = new LoadLoop();
        var load = loop.RunAsync(client, stopLoad.Token);

        agents[0].Freeze();
        var frozen = Stopwatch.StartNew();
        await Eventually.True(async () => await controller.StateOfAsync("web1") == "lost", TimeSpan.FromSeconds(6), "web1 marked lost within 6 s of its agent freezing");
        Assert.True(frozen.Elapsed >= TimeSpan.FromSeconds(3), $"web1 was marked lost after only {frozen.Elapsed}: heartbeats were missed before the freeze?");
        Assert.Equal("ready", await controller.StateOfAsync("web2"));
        Assert.Contains(await controller.EventsAsync(), e => e.GetProperty("server").GetString() == "web1" && e.GetProperty("kind").GetString() == "failed");

        // Out of rotation: its backend still answers, but the balancer sends nothing to it.
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("web2", await client.GetStringAsync("/"));
        }

        agents[0].Thaw();
        await Eventually.True(async () => await controller.StateOfAsync("web1") == "ready", TimeSpan.FromSeconds(30), "web1 back in rotation after its agent thawed");
        Assert.Contains(await controller.EventsAsync(), e => e.GetProperty("server").GetString() == "web1" && e.GetProperty("kind").GetString() == "rejoined");
        await Eventually.True(async () => await client.GetStringAsync("/") == "web1", TimeSpan.FromSeconds(30), "web1 takes traffic again");

        await stopLoad.CancelAsync();
        await load;
        Assert.True(loop.Sent > 0, "the load loop sent requests");
        Assert.True(loop.Failures.Count == 0, $"{loop.Failures.Count} of {loop.Sent} GETs failed: {string.Join("; ", loop.Failures.Take(5))}\nagent web1:\n{agents[0].Output}");
    }
}
