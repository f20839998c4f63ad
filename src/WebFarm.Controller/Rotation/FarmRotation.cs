using System.Collections.Immutable;
using System.Globalization;
using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Health;
using WebFarm.Balancer.Hosting;
using WebFarm.Balancer.LoadBalancing;

namespace WebFarm.Controller.Rotation;

/// <summary>
/// The controller's balancer runtime and the rules that put servers in and out of its rotation: a server comes in
/// once its address passes the farm's health check (added with slow start the first time, set online afterwards) and
/// goes offline when its agent is lost. The rules change this one runtime; every balancer follows it
/// (<see cref="Balancers"/>): the in-process one (the same <see cref="BalancerHost"/> as `webfarm balancer`, from an
/// in-memory config) serves from it directly, external `webfarm balancer`s are reconciled to it through their admin
/// API (<see cref="Sync"/>). With only external balancers the runtime is not served: it is where the rules, the
/// controller's health checks and slow start run.
/// </summary>
public sealed class FarmRotation : IAsyncDisposable
{
    /// <summary>A server that comes (back) in warms up over 10 s rather than taking its full share at once.</summary>
    private static readonly TimeSpan SlowStart = TimeSpan.FromSeconds(10);

    /// <summary>The listener a runtime that is not served names: a balancer configuration needs one, it is never opened.</summary>
    private const string UnservedListen = "http://127.0.0.1:0";

    /// <summary>The header that sends a request to an app's staged release: <c>X-WebFarm-Release: 7</c>.</summary>
    public const string ReleaseHeader = "X-WebFarm-Release";

    /// <summary>An app's stage farm is named after it: <c>hello.stage</c> (an app cannot be named so: <c>DeploymentEngine</c> refuses the stage).</summary>
    private const string StageSuffix = ".stage";

    private readonly HealthProbe _probe = new();
    private ImmutableDictionary<string, StageRoute> _stages = ImmutableDictionary.Create<string, StageRoute>(StringComparer.Ordinal);

    private FarmRotation(BalancerHost? balancer, BalancerRuntime runtime, string farm, HealthCheckOptions health, BalancerSync sync, LoadBalancingAlgorithm appLoadBalancing)
    {
        AppLoadBalancing = appLoadBalancing;
        Balancer = balancer;
        Runtime = runtime;
        FarmName = farm;
        Health = health;
        Sync = sync;
        var balancers = new List<IRotationBalancer>();
        if (balancer is not null)
        {
            balancers.Add(new InProcessBalancer(runtime));
        }

        balancers.AddRange(sync.Balancers);
        Balancers = balancers;
        var endpoints = new List<BalancerEndpoint>(sync.Balancers.Count);
        foreach (var external in sync.Balancers)
        {
            endpoints.Add(external.Endpoint);
        }

        TrustedProxies = new TrustedBalancerAddresses(balancer is not null, endpoints);
    }

    /// <summary>The in-process balancer; null when only external balancers serve.</summary>
    public BalancerHost? Balancer { get; }

    public string FarmName { get; }

    public HealthCheckOptions Health { get; }

    /// <summary>The algorithm of every app's farm (RoundRobin by default; `webfarm up` asks for LeastRequests).</summary>
    public LoadBalancingAlgorithm AppLoadBalancing { get; }

    /// <summary>Where the rules are applied: the in-process balancer's runtime, or an unserved one.</summary>
    public BalancerRuntime Runtime { get; }

    /// <summary>Every balancer that follows the rotation: the in-process one (when served), then the external ones in the order given.</summary>
    public IReadOnlyList<IRotationBalancer> Balancers { get; }

    /// <summary>The balancers' addresses as a server's apps see them (WEBFARM_TRUSTED_PROXIES).</summary>
    public TrustedBalancerAddresses TrustedProxies { get; }

    /// <summary>Keeps the external balancers in step while this controller leads.</summary>
    public BalancerSync Sync { get; }

    /// <param name="listen">The in-process balancer's client listener; null: not served (external balancers only).</param>
    public static async Task<FarmRotation> StartAsync(string farm, string? listen, string? admin, string? adminToken, string healthPath, TimeSpan interval, IReadOnlyList<BalancerEndpoint> external, TimeSpan syncInterval, Microsoft.Extensions.Logging.ILoggerFactory? loggerFactory, CancellationToken cancellationToken, LoadBalancingAlgorithm appLoadBalancing = LoadBalancingAlgorithm.RoundRobin)
    {
        ArgumentNullException.ThrowIfNull(external);
        loggerFactory ??= Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;
        var health = WebFarm.Agent.Readiness.HealthRule.ForPath(healthPath, "--health-path").ToCheckOptions(interval, interval, rise: 2, fall: 2);
        var config = new BalancerConfig
        {
            Listen = [new ListenEndpoint(listen ?? UnservedListen)],
            Admin = new AdminOptions { Listen = listen is null ? null : admin, Token = adminToken },
            StateDirectory = null, // The controller's store is the truth: servers are re-added as their agents heartbeat.
            Farms = new Dictionary<string, FarmOptions>(StringComparer.Ordinal)
            {
                [farm] = new FarmOptions { Health = health, SlowStart = SlowStart, Affinity = new AffinityOptions { Mode = AffinityMode.None }, Servers = [] },
            },
        };
        BalancerHost? host = null;
        BalancerRuntime runtime;
        if (listen is null)
        {
            runtime = new BalancerRuntime(config, stateDirectory: null, loggerFactory);
            await runtime.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            host = await BalancerHost.StartAsync(new BalancerHostOptions { Config = config, LoggerFactory = loggerFactory, ShutdownTimeout = TimeSpan.FromSeconds(5) }, cancellationToken).ConfigureAwait(false);
            runtime = host.Runtime;
        }

        var logger = loggerFactory.CreateLogger("WebFarm.Controller.Balancers");
        var balancers = new List<ExternalBalancer>(external.Count);
        foreach (var endpoint in external)
        {
            balancers.Add(new ExternalBalancer(endpoint, logger));
        }

        return new FarmRotation(host, runtime, farm, health, new BalancerSync(runtime, balancers, syncInterval), appLoadBalancing);
    }

    /// <summary>Completes when <paramref name="server"/> has no request in flight in <paramref name="farm"/> on any balancer.</summary>
    public Task WaitDrainedAsync(string farm, string server, CancellationToken cancellationToken)
    {
        var waits = new Task[Balancers.Count];
        for (var i = 0; i < waits.Length; i++)
        {
            waits[i] = Balancers[i].WaitDrainedAsync(farm, server, cancellationToken);
        }

        return Task.WhenAll(waits);
    }

    /// <summary>One probe of <paramref name="address"/> with the farm's health check.</summary>
    public Task<HealthProbeResult> ProbeAsync(string address, CancellationToken cancellationToken)
        => _probe.ProbeAsync(new Uri(address), Health, cancellationToken);

    /// <summary>One probe of <paramref name="address"/> with <paramref name="farm"/>'s health check (an app's health path).</summary>
    public Task<HealthProbeResult> ProbeAsync(string farm, string address, CancellationToken cancellationToken)
        => _probe.ProbeAsync(new Uri(address), Runtime.GetFarm(farm).Options.Health ?? Health, cancellationToken);

    /// <summary>Puts the server in rotation: added (slow start) if the farm does not have it, else set online.</summary>
    public void BringIn(string name, string address) => BringIn(FarmName, name, address);

    /// <summary>
    /// Puts the server in <paramref name="farm"/>'s rotation: added (slow start) if the farm does not have it, replaced
    /// when its address changed (an app instance on another port), else set online.
    /// </summary>
    /// <param name="unhealthy">Null: as above. Else why the server is not ready: it enters (or is set online) unhealthy
    /// with this reason, and only the farm's health check brings it into rotation; no request reaches it before.</param>
    public void BringIn(string farm, string name, string address, string? unhealthy = null)
    {
        var existing = Runtime.GetFarm(farm).FindServer(name);
        if (existing is not null && !string.Equals(existing.Address.ToString().TrimEnd('/'), address.TrimEnd('/'), StringComparison.OrdinalIgnoreCase))
        {
            Runtime.RemoveServer(farm, name);
            existing = null;
        }

        if (existing is null)
        {
            Runtime.AddServer(farm, new ServerOptions { Name = name, Address = address }, unhealthy);
            return;
        }

        if (unhealthy is not null)
        {
            Runtime.SetHealth(farm, name, healthy: false, unhealthy); // Before it is online: never in rotation in between.
        }

        Runtime.SetState(farm, name, ServerState.Online);
    }

    /// <summary>Takes the server out of rotation (offline: requests in flight finish, no new ones).</summary>
    public void TakeOut(string name) => TakeOut(FarmName, name);

    /// <summary>Takes the server out of <paramref name="farm"/>'s rotation, if the farm has it.</summary>
    public void TakeOut(string farm, string name)
    {
        if (Runtime.Farms.TryGetValue(farm, out var f) && f.FindServer(name) is not null)
        {
            Runtime.SetState(farm, name, ServerState.Offline);
        }
    }

    /// <summary>
    /// Drains the server in <paramref name="farm"/> (no new requests; those in flight finish) and waits until nothing
    /// is in flight, at most <paramref name="timeout"/> (then the caller goes on, as a stop would: requests still in
    /// flight fail). No-op when the farm does not have the server; ends early when an operator changed its state.
    /// </summary>
    /// <returns>False when the timeout passed with requests still in flight.</returns>
    public async Task<bool> DrainAsync(string farm, string name, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!Runtime.Farms.TryGetValue(farm, out var f) || f.FindServer(name) is null)
        {
            return true;
        }

        Runtime.SetState(farm, name, ServerState.Draining);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await WaitDrainedAsync(farm, name, deadline.Token).ConfigureAwait(false); // On every balancer, external ones too.
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false; // Drain timeout.
        }
        catch (InvalidOperationException)
        {
            return true; // An operator changed its state meanwhile: nothing more to wait for.
        }
    }

    /// <summary>
    /// The balancer's configuration with one farm per app (its health path, slow start) beside the servers' farm, and
    /// the routes: each app's host names to its farm; the requests no host claims to the app without host names, or
    /// to the servers' farm when every app has some. Without apps: the servers' farm alone, taking everything.
    /// </summary>
    /// <exception cref="ConfigException">The result is not a valid balancer configuration (its reason).</exception>
    public BalancerConfig ConfigFor(IReadOnlyList<Apps.AppDefinition> apps)
    {
        var current = Runtime.Config;
        var farms = new Dictionary<string, FarmOptions>(StringComparer.Ordinal) { [FarmName] = current.Farms[FarmName] };
        var routes = new List<RouteOptions>();
        string? catchAll = null;
        foreach (var app in apps)
        {
            var check = WebFarm.Agent.Readiness.HealthRule.ForPath(app.HealthPath, "healthPath", app.HealthStatus).ToCheckOptions(Health.Interval, Health.Timeout, Health.Rise, Health.Fall);
            farms[app.Name] = new FarmOptions { LoadBalancing = AppLoadBalancing, Health = check, SlowStart = SlowStart, Affinity = new AffinityOptions { Mode = AffinityMode.None }, Servers = [] };
            foreach (var host in app.Hosts)
            {
                routes.Add(new RouteOptions { Host = host, Farm = app.Name });
            }

            if (app.Hosts.Count == 0)
            {
                catchAll = app.Name;
            }
        }

        foreach (var app in apps)
        {
            if (Volatile.Read(ref _stages).TryGetValue(app.Name, out var stage) && !farms.ContainsKey(StageFarmOf(app.Name)))
            {
                AddStage(app, stage, farms, routes);
            }
        }

        if (apps.Count > 0)
        {
            routes.Add(new RouteOptions { Farm = catchAll ?? FarmName });
        }

        var config = current with { Farms = farms, Routes = routes };
        BalancerConfigLoader.Validate(config);
        return config;
    }

    /// <summary>The farm of an app's staged instances (beside the app's own farm, which has its serving instances).</summary>
    public static string StageFarmOf(string app) => app + StageSuffix;

    /// <summary>The app whose stage farm <paramref name="farm"/> is, when <paramref name="farms"/> has that app's farm; else null.</summary>
    public static string? AppOfStageFarm(string farm, IReadOnlyDictionary<string, FarmOptions> farms)
    {
        ArgumentNullException.ThrowIfNull(farm);
        ArgumentNullException.ThrowIfNull(farms);
        return farm.EndsWith(StageSuffix, StringComparison.Ordinal) && farm[..^StageSuffix.Length] is { Length: > 0 } app && farms.ContainsKey(app) ? app : null;
    }

    /// <summary>The stage routes <see cref="ConfigFor"/> adds for <paramref name="app"/> (null: none); applied with the apps' next apply.</summary>
    public void SetStage(string app, StageRoute? stage)
    {
        ImmutableDictionary<string, StageRoute> current, next;
        do
        {
            current = Volatile.Read(ref _stages);
            next = stage is null ? current.Remove(app) : current.SetItem(app, stage);
        }
        while (Interlocked.CompareExchange(ref _stages, next, current) != current);
    }

    /// <summary>The app's stage routes (null when nothing is staged).</summary>
    public StageRoute? StageOf(string app) => Volatile.Read(ref _stages).TryGetValue(app, out var stage) ? stage : null;

    /// <summary>
    /// The staged release's farm (the app's health check) and its routes, per host of the app (any host when it has
    /// none): the header route and the stripped path route. Both are more specific than the app's own route (a header
    /// condition, a longer prefix), so they win for the requests they match and no other request can reach the stage.
    /// </summary>
    private void AddStage(Apps.AppDefinition app, StageRoute stage, Dictionary<string, FarmOptions> farms, List<RouteOptions> routes)
    {
        var farm = StageFarmOf(app.Name);
        farms[farm] = farms[app.Name];
        var header = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { [ReleaseHeader] = stage.Release.ToString(CultureInfo.InvariantCulture) };
        IReadOnlyList<string?> hosts = app.Hosts.Count == 0 ? [null] : [.. app.Hosts];
        foreach (var host in hosts)
        {
            routes.Add(new RouteOptions { Host = host, Headers = header, Farm = farm });
            if (stage.Path is not null)
            {
                routes.Add(new RouteOptions { Host = host, Path = stage.Path, StripPrefix = true, Farm = farm });
            }
        }
    }

    /// <summary>Applies <see cref="ConfigFor"/>: app farms appear and go, servers in kept farms keep their state.</summary>
    public void ApplyApps(IReadOnlyList<Apps.AppDefinition> apps) => Runtime.Apply(ConfigFor(apps));

    public async ValueTask DisposeAsync()
    {
        _probe.Dispose();
        await Sync.DisposeAsync().ConfigureAwait(false); // Leaves the external balancers serving as they are.
        if (Balancer is not null)
        {
            await Balancer.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            await Runtime.DisposeAsync().ConfigureAwait(false);
        }
    }
}
