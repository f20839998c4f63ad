using System.Globalization;
using WebFarm.Agent.Control;
using WebFarm.Balancer.Farms;
using WebFarm.Controller.Tests.Infrastructure;

namespace WebFarm.Controller.Tests.Load;

/// <summary>
/// Load reported by the servers drives balancing, end to end: a real controller and balancer, two real agents (in
/// this process) each running the test backend as a child process, one of them made slow (100 ms per page), and
/// clients through the balancer. With `loadBalancing: reported` the slow server's effective weight falls and it gets a
/// smaller share of new requests; without it both get an equal share.
/// </summary>
public sealed class ReportedLoadTests : IAsyncLifetime
{
    private const int Clients = 4;
    private const int MeasuredRequests = 300;
    private static readonly TimeSpan Ready = TimeSpan.FromSeconds(90);
    private readonly TempDirectory _dir = new();
    private readonly List<ControlAgent> _agents = [];
    private readonly CancellationTokenSource _stopLoad = new(TimeSpan.FromMinutes(4));
    private readonly List<LoadLoop> _loops = [];
    private readonly List<Task> _loopTasks = [];
    private TestController _controller = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _controller = await TestController.StartAsync(_dir.Sub("controller"));
        _client = new HttpClient { BaseAddress = _controller.Host.BalancerUrl, Timeout = TimeSpan.FromSeconds(30) };
        for (var n = 1; n <= 2; n++)
        {
            _agents.Add(await _controller.StartAgentAsync($"web{n}", $"http://127.0.0.{n + 1}:1", _dir.Sub($"agent{n}"), await _controller.NewJoinTokenAsync()));
        }
    }

    public async Task DisposeAsync()
    {
        await _stopLoad.CancelAsync();
        await Task.WhenAll(_loopTasks);
        foreach (var agent in _agents)
        {
            await agent.DisposeAsync();
        }

        _client.Dispose();
        await _controller.DisposeAsync();
        _stopLoad.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task With_reported_load_the_slow_server_s_effective_weight_falls_and_it_gets_fewer_new_requests()
    {
        await StartSlowFarmAsync(AppDefinitionModes.Reported);

        await Eventually.True(() => Server("web2").LoadFactor < 0.5, TimeSpan.FromSeconds(60), "the slow server's load factor fell below 0.5");
        Assert.Equal(1.0, Server("web1").LoadFactor);
        Assert.True(Server("web2").EffectiveWeight < Server("web1").EffectiveWeight / 2);
        Assert.True(Server("web2").IsAvailable, "load alone does not take a server out of rotation");

        var share = await SlowShareOfNewRequestsAsync();
        Assert.True(share < 0.3, string.Create(CultureInfo.InvariantCulture, $"the slow server got {share:P0} of new requests with reported load (an equal share is 50 %)"));
        Assert.Empty(_loops.SelectMany(l => l.Failures));

        // The API shows why: ps has the balancer's latency and the factor per instance, and the agent's probe latency.
        var rows = await _controller.InstancesAsync("hello");
        var slow = rows.Single(r => r.GetProperty("server").GetString() == "web2");
        var fast = rows.Single(r => r.GetProperty("server").GetString() == "web1");
        // web2 answers 100 ms later than web1; the balancer's figure is a moving average (99.87 ms was seen in CI), so
        // the check is the gap, with room for the average's smoothing, not an exact floor.
        Assert.True(slow.GetProperty("responseTimeMs").GetDouble() >= fast.GetProperty("responseTimeMs").GetDouble() + 50, $"{slow} vs {fast}");
        Assert.True(slow.GetProperty("loadFactor").GetDouble() < 0.5, slow.ToString());
        Assert.All(rows, r => Assert.True(r.GetProperty("probeLatencyMs").GetDouble() > 0, r.ToString()));
    }

    [Fact]
    public async Task Without_the_option_the_slow_server_keeps_an_equal_share()
    {
        await StartSlowFarmAsync(AppDefinitionModes.Static);

        var share = await SlowShareOfNewRequestsAsync();
        Assert.InRange(share, 0.4, 0.6);
        Assert.Equal(1.0, Server("web1").LoadFactor);
        Assert.Equal(1.0, Server("web2").LoadFactor);
        Assert.Empty(_loops.SelectMany(l => l.Failures));
    }

    /// <summary>The app on both servers, warmed up (slow start over), web2 answering pages in 100 ms, clients running.</summary>
    private async Task StartSlowFarmAsync(string loadBalancing)
    {
        var (status, error) = await _controller.PostAsync("api/apps", TestApp.Json("hello", "47300-47399", loadBalancing: loadBalancing));
        Assert.True(status == 201, error);
        await Eventually.True(async () => (await _controller.InstancesAsync("hello")).Count(r => r.GetProperty("inRotation").GetBoolean()) == 2, Ready, "both instances in the app's farm");

        var web2 = (await _controller.InstancesAsync("hello")).Single(r => r.GetProperty("server").GetString() == "web2");
        using (var slow = await _client.PostAsync(new Uri($"http://127.0.0.3:{web2.GetProperty("port").GetInt32()}/control/delay/100"), null))
        {
            slow.EnsureSuccessStatusCode();
        }

        for (var i = 0; i < Clients; i++)
        {
            var loop = new LoadLoop();
            _loops.Add(loop);
            _loopTasks.Add(loop.RunAsync(_client, _stopLoad.Token));
        }

        await Eventually.True(() => Server("web1").WarmupFactor == 1 && Server("web2").WarmupFactor == 1, TimeSpan.FromSeconds(60), "slow start is over on both servers");
    }

    /// <summary>web2's share of the next <see cref="MeasuredRequests"/> requests the balancer sends (its own counters).</summary>
    private async Task<double> SlowShareOfNewRequestsAsync()
    {
        var web1 = Server("web1").Statistics.Requests;
        var web2 = Server("web2").Statistics.Requests;
        await Eventually.True(
            () => Server("web1").Statistics.Requests - web1 + Server("web2").Statistics.Requests - web2 >= MeasuredRequests,
            TimeSpan.FromSeconds(120),
            $"{MeasuredRequests} more requests went through the balancer");
        double slow = Server("web2").Statistics.Requests - web2;
        double fast = Server("web1").Statistics.Requests - web1;
        return slow / (slow + fast);
    }

    private ServerRuntime Server(string name) => _controller.Host.Rotation.Runtime.GetServer("hello", name);

    private static class AppDefinitionModes
    {
        public const string Reported = WebFarm.Controller.Apps.AppDefinition.ReportedLoadBalancing;
        public const string Static = WebFarm.Controller.Apps.AppDefinition.StaticLoadBalancing;
    }
}
