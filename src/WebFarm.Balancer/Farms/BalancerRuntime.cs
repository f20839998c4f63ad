using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Events;
using WebFarm.Balancer.Health;
using WebFarm.Balancer.Statistics;

namespace WebFarm.Balancer.Farms;

/// <summary>
/// The live balancer: farms and routes from the current configuration snapshot, server states, events,
/// health monitors. Requests read <see cref="Snapshot"/> once (a volatile read, no lock); every change
/// (reload, add/remove server) builds new immutable views under a lock and swaps them in.
/// The work is done by one type per job: <see cref="ConfigApplier"/> (views and snapshots),
/// <see cref="ServerStateChanges"/> (state, weight, health, drain), <see cref="ServerStatePersistence"/>
/// (servers.json), <see cref="HealthMonitorSet"/> (active checks) and <see cref="SlowStart"/>.
/// </summary>
public sealed class BalancerRuntime : IHealthStateSink, IAsyncDisposable
{
    private readonly object _changeLock = new();
    private readonly ServerStatePersistence _persistence;
    private readonly HealthMonitorSet _monitors;
    private readonly ConfigApplier _applier;
    private readonly ServerStateChanges _states;
    private readonly SlowStart _slowStart;
    private RuntimeSnapshot _snapshot = null!;
    private BalancerConfig _file; // The configuration file's (or the host's) configuration, without the controller farms.
    private ControllerFarms _controllerFarms = WebFarm.Balancer.Farms.ControllerFarms.Empty;
    private int _disposed;
    private int _saveQueued;
    private int _verdictsUnsaved; // A health verdict came since servers.json was last written.
    private int _stopping;

    /// <param name="config">A validated configuration (see <see cref="BalancerConfigLoader"/>).</param>
    /// <param name="stateDirectory">Absolute directory for server states and the affinity key; null = nothing persisted.</param>
    public BalancerRuntime(BalancerConfig config, string? stateDirectory = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        BalancerConfigLoader.Validate(config);
        loggerFactory ??= NullLoggerFactory.Instance;
        StateDirectory = stateDirectory;
        _persistence = new ServerStatePersistence(stateDirectory, loggerFactory.CreateLogger("WebFarm.Balancer"));
        _monitors = new HealthMonitorSet(_changeLock, this, loggerFactory);
        _applier = new ConfigApplier(this, _monitors, loggerFactory);
        _states = new ServerStateChanges(this, _changeLock);
        Events = new EventStream(loggerFactory.CreateLogger("WebFarm.Events"));
        Metrics = new BalancerMetrics();
        Metrics.ObserveFrontEnd(FrontEnd);
        Metrics.ObserveServers(AllServers);

        var saved = _persistence.Load();
        _file = config;
        lock (_changeLock)
        {
            _applier.Apply(config, saved);
        }

        // Every server starts healthy unless servers.json says it was not: say so, where the reason is looked for.
        foreach (var server in AllServers())
        {
            if (!server.Healthy)
            {
                _states.PublishHealth(server, healthy: false, "unhealthy when the balancer last stopped (servers.json); it joins once its health check passes");
            }
        }

        _slowStart = new SlowStart(this);
    }

    public EventStream Events { get; }

    /// <summary>What the HTTP/1.1 front end served itself and how often it handed a connection to Kestrel.</summary>
    public WebFarm.Balancer.FrontEnd.FrontEndStatistics FrontEnd { get; } = new();

    /// <summary>The TCP listeners' counters (empty without TCP listeners), set when they are bound.</summary>
    public IReadOnlyList<WebFarm.Balancer.Tcp.TcpListenerStatistics> TcpListeners { get; internal set; } = [];

    public BalancerMetrics Metrics { get; }

    /// <summary>The routes' response caches (kept across reloads), their counters and purge.</summary>
    public WebFarm.Balancer.Caching.ResponseCaches Caches { get; } = new();

    /// <summary>
    /// The host has begun to stop (listeners closing, requests in flight draining): the admin /healthz answers 503 from
    /// now on, so a keepalived track script gives the virtual address to the peer while this balancer drains.
    /// </summary>
    public bool Stopping => Volatile.Read(ref _stopping) != 0;

    internal void MarkStopping() => Volatile.Write(ref _stopping, 1);

    /// <summary>Absolute state directory, or null when nothing is persisted.</summary>
    public string? StateDirectory { get; }

    public BalancerConfig Config => Snapshot.Config;

    /// <summary>Farms by name, from the current snapshot.</summary>
    public IReadOnlyDictionary<string, FarmRuntime> Farms => Snapshot.Farms;

    internal RuntimeSnapshot Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>Raised after every reload and server add/remove (not on state or weight changes).</summary>
    public event Action<BalancerRuntime>? Changed;

    /// <summary>Starts background work (active health checks).</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => _monitors.StartAsync(cancellationToken);

    /// <summary>Applies a new, validated configuration. Servers kept (same farm and name) keep their runtime.</summary>
    public void Apply(BalancerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        BalancerConfigLoader.Validate(config);
        var dropped = new List<(string Farm, string Reason)>();
        lock (_changeLock)
        {
            var kept = _controllerFarms.KeptOver(config, dropped);
            _applier.Apply(kept.Over(config), saved: null);
            _file = config;
            _controllerFarms = kept;
        }

        foreach (var (farm, reason) in dropped)
        {
            Events.Publish(farm, null, EventKind.ConfigReloaded, $"controller farm {farm} removed with its routes: the new configuration conflicts with it ({reason}); the controller is refused when it puts it back");
        }

        Changed?.Invoke(this);
    }

    /// <summary>The farms a controller created at run time (PUT /api/controller/farms/NAME), by name.</summary>
    public IReadOnlyDictionary<string, ControllerFarmOptions> ControllerFarms => Volatile.Read(ref _controllerFarms).Farms;

    /// <summary>
    /// Creates or replaces a controller farm and its routes in one publication (a replaced farm keeps its servers).
    /// Nothing changes when it is refused.
    /// </summary>
    /// <returns>True when the farm was created, false when replaced.</returns>
    /// <exception cref="ConfigException">Its problems, each with its field (<see cref="ConfigValidator.ValidateControllerFarm"/>).</exception>
    public bool SetControllerFarm(ControllerFarmOptions farm)
    {
        ArgumentNullException.ThrowIfNull(farm);
        bool created;
        lock (_changeLock)
        {
            var current = _controllerFarms;
            var problems = current.Problems(_file, farm);
            if (problems.Count > 0)
            {
                throw new ConfigException(problems);
            }

            var next = current.With(farm);
            var merged = next.Over(_file);
            BalancerConfigLoader.Validate(merged); // Whatever else the whole configuration's rules say, before anything changes.
            _applier.Apply(merged, saved: null);
            created = !current.Farms.ContainsKey(farm.Name);
            Volatile.Write(ref _controllerFarms, next);
        }

        Events.Publish(farm.Name, null, EventKind.ConfigReloaded, $"controller farm {farm.Name} {(created ? "created" : "replaced")} like {farm.Like} with {farm.Routes.Count} route(s)");
        Changed?.Invoke(this);
        return created;
    }

    /// <summary>Removes a controller farm, its routes and its servers (requests in flight finish).</summary>
    /// <exception cref="FarmNotFoundException">No farm has that name.</exception>
    /// <exception cref="ArgumentException">The farm comes from the configuration file.</exception>
    public void RemoveControllerFarm(string name)
    {
        lock (_changeLock)
        {
            var current = _controllerFarms;
            if (!current.Farms.ContainsKey(name))
            {
                throw _file.Farms.ContainsKey(name)
                    ? new ArgumentException($"farm '{name}' comes from the configuration file: the admin API removes only farms a controller created", nameof(name))
                    : new FarmNotFoundException(name);
            }

            var next = current.Without(name);
            _applier.Apply(next.Over(_file), saved: null);
            Volatile.Write(ref _controllerFarms, next);
        }

        Events.Publish(name, null, EventKind.ConfigReloaded, $"controller farm {name} removed with its routes and servers");
        Changed?.Invoke(this);
    }

    public FarmRuntime GetFarm(string farm)
        => Snapshot.Farms.TryGetValue(farm, out var f) ? f : throw new FarmNotFoundException(farm);

    public ServerRuntime GetServer(string farm, string name)
        => GetFarm(farm).FindServer(name) ?? throw new ServerNotFoundException(farm, name);

    /// <summary>Adds a server at run time; it is kept across reloads and restarts until removed.</summary>
    /// <param name="unhealthy">Null: the server is healthy until a check says otherwise, as every server. Else why it is
    /// not ready: it enters the farm unhealthy (event <c>failed</c> with this reason), so no request reaches it until its
    /// active health check passes Rise times in a row (event <c>rejoined</c>). A server set unhealthy just after being
    /// added could take requests in between (the farm controller's first deployment did so with a server that failed its
    /// gate); this one is never in rotation before its check passes.</param>
    /// <exception cref="ArgumentException">The options are invalid (message names the field), or the server is to enter
    /// unhealthy but no active health check (the farm's or its own) would ever bring it in.</exception>
    public ServerRuntime AddServer(string farm, ServerOptions options, string? unhealthy = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = ConfigValidator.ValidateServer(options);
        if (problems.Count > 0)
        {
            throw new ArgumentException($"{problems[0].Key}: {problems[0].Reason}", problems[0].Key);
        }

        ServerRuntime server;
        lock (_changeLock)
        {
            var f = GetFarm(farm);
            if (ConfigValidator.ServerProtocolMismatch(f.Options, options.Address) is { } mismatch)
            {
                throw new ArgumentException("Address: " + mismatch, nameof(options));
            }

            if (unhealthy is not null && (options.Health ?? f.Options.Health) is null)
            {
                throw new ArgumentException($"healthy: false needs an active health check, and farm '{farm}' has none (nor the server its own Health): nothing would ever bring the server into rotation", nameof(unhealthy));
            }

            if (f.FindServer(options.Name) is not null)
            {
                throw new ServerConflictException(farm, options.Name);
            }

            server = _applier.AddServer(f, options, healthy: unhealthy is null);
        }

        Events.Publish(farm, server.Name, EventKind.ServerAdded, unhealthy is null
            ? $"server {server.Name} ({server.Address}) added with weight {server.Weight}"
            : $"server {server.Name} ({server.Address}) added with weight {server.Weight}, out of rotation until its health check passes");
        if (unhealthy is not null)
        {
            _states.PublishHealth(server, healthy: false, unhealthy);
        }

        Changed?.Invoke(this);
        return server;
    }

    public void RemoveServer(string farm, string name)
    {
        ServerRuntime server;
        lock (_changeLock)
        {
            var f = GetFarm(farm);
            server = f.FindServer(name) ?? throw new ServerNotFoundException(farm, name);
            _applier.RemoveServer(f, server);
        }

        Events.Publish(farm, server.Name, EventKind.ServerRemoved, $"server {server.Name} removed ({server.InFlight} request(s) still in flight finish normally)");
        Changed?.Invoke(this);
    }

    /// <summary>Changes a server's administrative state, raising Application Center's events.</summary>
    public void SetState(string farm, string name, ServerState state) => _states.SetState(farm, name, state);

    public void SetWeight(string farm, string name, int weight) => _states.SetWeight(farm, name, weight);

    /// <summary>
    /// Scales the server's effective weight by <paramref name="factor"/> (in (0, 1]) for the load it reports, the way
    /// slow start scales it while warming up; its operator weight and state are left alone.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The factor is not in (0, 1].</exception>
    public void SetLoadFactor(string farm, string name, double factor)
    {
        if (!(factor > 0 && factor <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "a load factor is above 0 and at most 1 (load alone never takes a server out)");
        }

        GetServer(farm, name).LoadFactor = factor;
    }

    /// <summary>Completes when the server is Draining and has no request in flight (at once if already so).</summary>
    public Task WaitDrainedAsync(string farm, string name, CancellationToken cancellationToken = default)
        => _states.WaitDrainedAsync(farm, name, cancellationToken);

    /// <summary>
    /// `offline --drain`: drains now and sets the server Offline by itself once nothing is in flight and, when the
    /// farm has affinity, its drain timeout has passed (bound clients keep being served until then). Completes
    /// when the server is offline, or early when an operator changed its state or removed it meanwhile.
    /// </summary>
    public Task DrainThenOfflineAsync(string farm, string name, CancellationToken cancellationToken = default)
        => _states.DrainThenOfflineAsync(farm, name, cancellationToken);

    /// <summary>Sets the health verdict (checks call this on transitions); raises failed / rejoined.</summary>
    public void SetHealth(string farm, string name, bool healthy, string reason)
        => _states.SetHealth(GetServer(farm, name), healthy, reason);

    void IHealthStateSink.SetHealth(ServerRuntime server, bool healthy, string reason) => _states.SetHealth(server, healthy, reason);

    /// <summary>Runs one active probe now ("verify"), with the server's configured check or a default one.</summary>
    public async Task<HealthProbeResult> VerifyAsync(string farm, string name, CancellationToken cancellationToken = default)
    {
        var f = GetFarm(farm);
        var server = GetServer(farm, name);
        var monitor = _monitors.Find(f.Name);
        if (monitor is not null)
        {
            return await monitor.VerifyAsync(server, f.Options.Health, cancellationToken).ConfigureAwait(false);
        }

        using var probe = new HealthProbe(time: null, trust: () => f.View.Transport.Tls);
        return await probe.ProbeAsync(server, server.Options?.Health ?? f.Options.Health ?? new HealthCheckOptions(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Called by the forwarder when a request on <paramref name="server"/> ends.</summary>
    internal void OnRequestEnded(ServerRuntime server)
    {
        if (server.DecrementInFlight() == 0 && server.State == ServerState.Draining)
        {
            _states.CheckDrained(server);
        }
    }

    /// <summary>Publishes a snapshot built by <see cref="ConfigApplier"/> (change lock held).</summary>
    internal void Publish(RuntimeSnapshot snapshot) => Volatile.Write(ref _snapshot, snapshot);

    /// <summary>Saves every server's state to servers.json (change lock held); nothing without a state directory.</summary>
    internal void SaveStates()
    {
        Volatile.Write(ref _verdictsUnsaved, 0);
        _persistence.Save(_snapshot);
    }

    /// <summary>
    /// Saves servers.json soon, on the thread pool, under the change lock: health verdicts come from probe loops and from
    /// the data plane (passive health), which never write a file. Verdicts that come together (a whole farm failing at
    /// once) are saved once.
    /// </summary>
    internal void SaveStatesSoon()
    {
        if (!_persistence.Enabled)
        {
            return;
        }

        Volatile.Write(ref _verdictsUnsaved, 1);
        if (Interlocked.Exchange(ref _saveQueued, 1) != 0)
        {
            return;
        }

        ThreadPool.UnsafeQueueUserWorkItem(
            static runtime =>
            {
                Volatile.Write(ref runtime._saveQueued, 0);
                lock (runtime._changeLock)
                {
                    if (Volatile.Read(ref runtime._disposed) == 0 && Volatile.Read(ref runtime._verdictsUnsaved) != 0)
                    {
                        runtime.SaveStates();
                    }
                }
            },
            this,
            preferLocal: false);
    }

    private IEnumerable<ServerRuntime> AllServers()
    {
        foreach (var farm in Snapshot.Farms.Values)
        {
            foreach (var server in farm.View.Servers)
            {
                yield return server;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _slowStart.DisposeAsync().ConfigureAwait(false);
        await _monitors.DisposeAsync().ConfigureAwait(false);

        // The last verdicts: a save queued by one of them skips once disposed.
        lock (_changeLock)
        {
            if (Volatile.Read(ref _verdictsUnsaved) != 0)
            {
                SaveStates();
            }
        }

        foreach (var farm in Snapshot.Farms.Values)
        {
            farm.View.Transport.Retire();
            (farm.View.PassiveHealth as IDisposable)?.Dispose();
        }

        Metrics.Dispose();
    }
}
