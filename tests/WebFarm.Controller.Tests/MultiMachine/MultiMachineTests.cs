using System.Diagnostics;
using WebFarm.Controller.Tests.Infrastructure;

namespace WebFarm.Controller.Tests.MultiMachine;

/// <summary>
/// Two "machines" (network namespaces with their own addresses), each with a real `webfarm agent` process and a real
/// backend; the controller and its balancer on the host side. Only the namespaces' 10.231.N.0/24 links and loopback
/// carry traffic.
/// </summary>
[Collection(nameof(MultiMachineTests))] // One network at a time: the namespaces have fixed names.
public sealed class MultiMachineTests() : MachinesTest(2)
{
    private const string OperatorToken = "multi-machine-operator-token";

    [NetnsFact]
    public Task Agents_join_from_their_machines_traffic_reaches_both_and_a_frozen_agent_is_lost_then_rejoins_without_a_failed_request()
        => LostAndBackUnderLoadAsync("its agent freezing", (_, agents) => agents[0].Freeze(), (_, agents) => agents[0].Thaw());

    // nftables inside machine 1 drops every packet between it and the controller's API, both ways: the agent is cut off
    // (its heartbeats vanish, no RST, no error) while its app still answers the balancer.
    [NetnsFact]
    public Task An_agent_cut_off_by_dropping_its_packets_is_lost_within_6_s_without_a_failed_request_and_rejoins_when_they_pass_again()
        => LostAndBackUnderLoadAsync("its packets being dropped", (controller, _) => MachineNetwork.DropTraffic(1, controller.Host.Url.Port), (_, _) => MachineNetwork.PassTraffic(1));

    /// <summary>
    /// Two machines in rotation and GETs running through the balancer the whole time; <paramref name="silence"/> makes
    /// web1's agent go quiet, <paramref name="restore"/> lets it heartbeat again: lost within 6 s, back, no failed GET.
    /// </summary>
    private async Task LostAndBackUnderLoadAsync(string cause, Action<TestController, WebFarmProcess[]> silence, Action<TestController, WebFarmProcess[]> restore)
    {
        var (controller, agents, client) = await StartFarmAsync();
        await using var owned = controller;
        using var ownedClient = client;
        using var stopLoad = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var loop = new LoadLoop();
        var load = loop.RunAsync(client, stopLoad.Token);

        silence(controller, agents);
        await AssertLostWithin6sThenRejoinsAsync(controller, client, cause, () => restore(controller, agents));

        await stopLoad.CancelAsync();
        await load;
        Assert.True(loop.Sent > 0, "the load loop sent requests");
        Assert.True(loop.Failures.Count == 0, $"{loop.Failures.Count} of {loop.Sent} GETs failed: {string.Join("; ", loop.Failures.Take(5))}\nagent web1:\n{agents[0].Output}");
    }

    /// <summary>
    /// The controller on the host side of machine 1's link (machine 2 reaches it through its default route), and on
    /// each machine a backend and a real `webfarm agent`; returns once both servers are ready and both take traffic.
    /// </summary>
    private async Task<(TestController Controller, WebFarmProcess[] Agents, HttpClient Client)> StartFarmAsync()
    {
        var controller = await TestController.StartAsync(Dir.Sub("controller"), OperatorToken, listen: $"http://{MachineNetwork.HostAddress(1)}:0");
        var agents = new WebFarmProcess[2];
        for (var n = 1; n <= 2; n++)
        {
            var name = $"web{n}";
            Processes.Add(await BackendProcess.StartAsync(name, MachineNetwork.Namespace(n), MachineNetwork.MachineAddress(n), 5000));
            agents[n - 1] = WebFarmProcess.Start(
                MachineNetwork.Namespace(n),
                "agent",
                "--controller", controller.Host.Url.ToString(),
                "--name", name,
                "--address", $"http://{MachineNetwork.MachineAddress(n)}:5000",
                "--data-dir", Dir.Sub("agent" + n),
                "--join-token", await controller.NewJoinTokenAsync());
            Processes.Add(agents[n - 1]);
        }

        await Eventually.True(
            async () => await controller.StateOfAsync("web1") == "ready" && await controller.StateOfAsync("web2") == "ready",
            TimeSpan.FromSeconds(90),
            "both servers joined and passed their health check");

        var client = new HttpClient { BaseAddress = controller.Host.BalancerUrl, Timeout = TimeSpan.FromSeconds(10) };
        var seen = new HashSet<string>();
        for (var i = 0; i < 100 && seen.Count < 2; i++)
        {
            using var response = await client.GetAsync("/");
            Assert.Equal(200, (int)response.StatusCode);
            seen.Add(await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(["web1", "web2"], seen.Order());
        return (controller, agents, client);
    }

    /// <summary>web1's agent has just gone silent: lost within 6 s (not before 3 s), out of rotation, then back once <paramref name="restore"/> lets it heartbeat.</summary>
    private static async Task AssertLostWithin6sThenRejoinsAsync(TestController controller, HttpClient client, string cause, Action restore)
    {
        var silent = Stopwatch.StartNew();
        await Eventually.True(async () => await controller.StateOfAsync("web1") == "lost", TimeSpan.FromSeconds(6), $"web1 marked lost within 6 s of {cause}");
        Assert.True(silent.Elapsed >= TimeSpan.FromSeconds(3), $"web1 was marked lost after only {silent.Elapsed}: heartbeats were missed before {cause}?");
        Assert.Equal("ready", await controller.StateOfAsync("web2"));
        Assert.Contains(await controller.EventsAsync(), e => e.GetProperty("server").GetString() == "web1" && e.GetProperty("kind").GetString() == "failed");

        // Out of rotation: its backend still answers, but the balancer sends nothing to it.
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("web2", await client.GetStringAsync("/"));
        }

        restore();
        await Eventually.True(async () => await controller.StateOfAsync("web1") == "ready", TimeSpan.FromSeconds(30), "web1 back in rotation");
        Assert.Contains(await controller.EventsAsync(), e => e.GetProperty("server").GetString() == "web1" && e.GetProperty("kind").GetString() == "rejoined");
        await Eventually.True(async () => await client.GetStringAsync("/") == "web1", TimeSpan.FromSeconds(30), "web1 takes traffic again");
    }
}
