using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Health;
using WebFarm.Balancer.Hosting;

namespace WebFarm.Controller.Rotation;

/// <summary>
/// The controller's in-process balancer (the same <see cref="BalancerHost"/> as `webfarm balancer`, from an in-memory
/// config with one farm) and the rules that put servers in and out of its rotation: a server comes in once its
/// address passes the farm's health check (added with slow start the first time, set online afterwards) and goes
/// offline when its agent is lost.
/// </summary>
public sealed class FarmRotation : IAsyncDisposable
{
    private readonly HealthProbe _probe = new();

    private FarmRotation(BalancerHost balancer, string farm, HealthCheckOptions health)
    {
        Balancer = balancer;
        FarmName = farm;
        Health = health;
    }

    public BalancerHost Balancer { get; }

    public string FarmName { get; }

    public HealthCheckOptions Health { get; }

    public BalancerRuntime Runtime => Balancer.Runtime;

    public static async Task<FarmRotation> StartAsync(string farm, string listen, string? admin, string? adminToken, string healthPath, TimeSpan interval, Microsoft.Extensions.Logging.ILoggerFactory? loggerFactory, CancellationToken cancellationToken)
    {
        var health = WebFarm.Agent.Readiness.HealthRule.ForPath(healthPath, "--health-path").ToCheckOptions(interval, interval, rise: 2, fall: 2);
        var config = new BalancerConfig
        {
            Listen = [new ListenEndpoint(listen)],
            Admin = new AdminOptions { Listen = admin, Token = adminToken },
            StateDirectory = null, // The controller's store is the truth: servers are re-added as their agents heartbeat.
            Farms = new Dictionary<string, FarmOptions>(StringComparer.Ordinal)
            {
                // A server that comes (back) in warms up over 10 s rather than taking its full share at once.
                [farm] = new FarmOptions { Health = health, SlowStart = TimeSpan.FromSeconds(10), Affinity = new AffinityOptions { Mode = AffinityMode.None }, Servers = [] },
            },
        };
        var host = await BalancerHost.StartAsync(new BalancerHostOptions { Config = config, LoggerFactory = loggerFactory, ShutdownTimeout = TimeSpan.FromSeconds(5) }, cancellationToken).ConfigureAwait(false);
        return new FarmRotation(host, farm, health);
    }

    /// <summary>One probe of <paramref name="address"/> with the farm's health check.</summary>
    public Task<HealthProbeResult> ProbeAsync(string address, CancellationToken cancellationToken)
        => _probe.ProbeAsync(new Uri(address), Health, cancellationToken);

    /// <summary>Puts the server in rotation: added (slow start) if the farm does not have it, else set online.</summary>
    public void BringIn(string name, string address)
    {
        var existing = Runtime.GetFarm(FarmName).FindServer(name);
        if (existing is null)
        {
            Runtime.AddServer(FarmName, new ServerOptions { Name = name, Address = address });
        }
        else
        {
            Runtime.SetState(FarmName, name, ServerState.Online);
        }
    }

    /// <summary>Takes the server out of rotation (offline: requests in flight finish, no new ones).</summary>
    public void TakeOut(string name)
    {
        if (Runtime.GetFarm(FarmName).FindServer(name) is not null)
        {
            Runtime.SetState(FarmName, name, ServerState.Offline);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _probe.Dispose();
        await Balancer.DisposeAsync().ConfigureAwait(false);
    }
}
