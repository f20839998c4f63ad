using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;
using WebFarm.Controller.Apps;
using WebFarm.Controller.Load;

namespace WebFarm.Controller.Tests.Load;

/// <summary>
/// Load-driven weights tick by tick on a real balancer runtime (no timer: each test calls Tick): the measured
/// response times and CPU become load factors that follow <see cref="LoadWeightRule"/>, move smoothly, never go below
/// the floor, come back when the server recovers, and stay 1 for apps without the option.
/// </summary>
public sealed class LoadWeightsTests : IAsyncLifetime
{
    private readonly Dictionary<string, double> _cpu = new(StringComparer.Ordinal);
    private BalancerRuntime _runtime = null!;
    private AppDefinition _app = App(AppDefinition.ReportedLoadBalancing);

    public Task InitializeAsync()
    {
        _runtime = new BalancerRuntime(new BalancerConfig
        {
            Listen = [new ListenEndpoint("http://127.0.0.1:0")],
            StateDirectory = null,
            Farms = new Dictionary<string, FarmOptions>(StringComparer.Ordinal)
            {
                ["hello"] = new FarmOptions
                {
                    Servers = [new ServerOptions { Name = "web1", Address = "http://127.0.0.1:1" }, new ServerOptions { Name = "web2", Address = "http://127.0.0.1:2" }],
                },
            },
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _runtime.DisposeAsync();

    [Fact]
    public void A_slower_server_s_factor_falls_smoothly_to_its_share_and_the_fastest_keeps_1()
    {
        var weights = Weights();
        var previous = 1.0;
        for (var tick = 0; tick < 30; tick++)
        {
            Respond("web1", 10);
            Respond("web2", 100);
            weights.Tick();
            var factor = Server("web2").LoadFactor;
            Assert.True(factor <= previous, $"tick {tick}: the factor went back up from {previous} to {factor} under a steady load (oscillation)");
            previous = factor;
        }

        Assert.Equal(1.0, Server("web1").LoadFactor);
        Assert.Equal((10 + 5) / (100 + 5.0), Server("web2").LoadFactor, 3);
        Assert.Equal(Server("web2").Weight * Server("web2").LoadFactor, Server("web2").EffectiveWeight, 6);
    }

    [Fact]
    public void Load_alone_never_takes_a_server_below_the_floor_and_a_recovered_server_comes_back_to_1()
    {
        var weights = Weights();
        for (var tick = 0; tick < 30; tick++)
        {
            Respond("web1", 1);
            Respond("web2", 30_000);
            weights.Tick();
        }

        Assert.Equal(LoadWeightRule.Floor, Server("web2").LoadFactor);
        Assert.True(Server("web2").IsAvailable, "a server at the floor still takes new requests");

        for (var tick = 0; tick < 30; tick++)
        {
            // It recovers: the balancer's average follows its new responses.
            for (var i = 0; i < 20; i++)
            {
                Respond("web2", 1);
            }

            Respond("web1", 1);
            weights.Tick();
        }

        Assert.Equal(1.0, Server("web2").LoadFactor);
    }

    [Fact]
    public void A_machine_near_full_cpu_weighs_less_at_equal_response_times_but_a_busy_one_below_the_knee_does_not()
    {
        var weights = Weights();
        _cpu["web1"] = 60;
        _cpu["web2"] = 100;
        for (var tick = 0; tick < 30; tick++)
        {
            Respond("web1", 20);
            Respond("web2", 20);
            weights.Tick();
        }

        Assert.Equal(1.0, Server("web1").LoadFactor);
        Assert.Equal(0.5, Server("web2").LoadFactor, 3);
    }

    [Fact]
    public void Without_new_responses_a_factor_stays_where_it_was()
    {
        var weights = Weights();
        for (var tick = 0; tick < 30; tick++)
        {
            Respond("web1", 10);
            Respond("web2", 100);
            weights.Tick();
        }

        var settled = Server("web2").LoadFactor;
        for (var tick = 0; tick < 10; tick++)
        {
            weights.Tick();
        }

        Assert.Equal(settled, Server("web2").LoadFactor);
    }

    [Fact]
    public void An_app_without_the_option_keeps_factors_at_1_and_turning_it_off_resets_them()
    {
        _app = App(AppDefinition.StaticLoadBalancing);
        var weights = Weights();
        for (var tick = 0; tick < 10; tick++)
        {
            Respond("web1", 10);
            Respond("web2", 1000);
            weights.Tick();
        }

        Assert.Equal(1.0, Server("web2").LoadFactor);

        _app = App(AppDefinition.ReportedLoadBalancing);
        for (var tick = 0; tick < 10; tick++)
        {
            Respond("web1", 10);
            Respond("web2", 1000);
            weights.Tick();
        }

        Assert.True(Server("web2").LoadFactor < 0.5);
        Assert.Equal(2, weights.Remembered);
        _app = App(AppDefinition.StaticLoadBalancing);
        weights.Tick();
        Assert.Equal(1.0, Server("web2").LoadFactor);
        Assert.Equal(0, weights.Remembered); // Nothing kept for an app that no longer weighs by load.
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-0.5)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void A_load_factor_outside_0_to_1_is_refused(double factor)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => _runtime.SetLoadFactor("hello", "web2", factor));
        Assert.Contains("a load factor is above 0 and at most 1", error.Message);
        Assert.Equal(1.0, Server("web2").LoadFactor);
    }

    private LoadWeights Weights() => new(_runtime, () => [_app], name => _cpu.TryGetValue(name, out var cpu) ? cpu : null);

    private ServerRuntime Server(string name) => _runtime.GetServer("hello", name);

    private void Respond(string server, double milliseconds)
        => Server(server).Statistics.RecordResponse(200, TimeSpan.FromMilliseconds(milliseconds), 100, 100);

    private static AppDefinition App(string loadBalancing)
        => new("hello", "/bin/app", [], 5000, 5009, "/healthz", new Dictionary<string, string>(), [], [], loadBalancing);
}
