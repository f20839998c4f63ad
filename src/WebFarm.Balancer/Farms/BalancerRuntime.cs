using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WebFarm.Balancer.Affinity;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Events;
using WebFarm.Balancer.Forwarding;
using WebFarm.Balancer.Health;
using WebFarm.Balancer.LoadBalancing;
using WebFarm.Balancer.Routing;
using WebFarm.Balancer.Statistics;

namespace WebFarm.Balancer.Farms;

/// <summary>
/// The live balancer: farms and routes from the current configuration snapshot, server states, events,
/// health monitors. Requests read <see cref="Snapshot"/> once (a volatile read, no lock); every change
/// (reload, add/remove server) builds new immutable views under a lock and swaps them in.
/// </summary>
public sealed class BalancerRuntime : IHealthStateSink, IAsyncDisposable
{
    private static readonly TimeSpan WarmupTick = TimeSpan.FromMilliseconds(100);
    private const double MinimumWarmupFactor = 0.05;

    private readonly object _changeLock = new();
    private readonly ServerStateStore? _stateStore;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly Dictionary<string, HealthMonitor> _monitors = new(StringComparer.Ordinal);
    private readonly Timer _warmupTimer;
    private RuntimeSnapshot _snapshot = null!;
    private bool _started;
    private int _disposed;

    /// <param name="config">A validated configuration (see <see cref="BalancerConfigLoader"/>).</param>
    /// <param name="stateDirectory">Absolute directory for server states and the affinity key; null = nothing persisted.</param>
    public BalancerRuntime(BalancerConfig config, string? stateDirectory = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        BalancerConfigLoader.Validate(config);
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger("WebFarm.Balancer");
        StateDirectory = stateDirectory;
        _stateStore = stateDirectory is null ? null : new ServerStateStore(stateDirectory);
        Events = new EventStream(_loggerFactory.CreateLogger("WebFarm.Events"));
        Metrics = new BalancerMetrics();
        Metrics.ObserveFrontEnd(FrontEnd);
        Metrics.ObserveServers(AllServers);

        string? problem = null;
        var saved = _stateStore is null ? null : _stateStore.Load(out problem);
        if (problem is not null)
        {
            _logger.LogWarning("Ignoring saved server states: {Problem}", problem);
        }

        lock (_changeLock)
        {
            ApplyLocked(config, saved);
        }

        _warmupTimer = new Timer(static s => ((BalancerRuntime)s!).UpdateWarmup(), this, WarmupTick, WarmupTick);
    }

    public EventStream Events { get; }

    /// <summary>What the HTTP/1.1 front end served itself and how often it handed a connection to Kestrel.</summary>
    public WebFarm.Balancer.FrontEnd.FrontEndStatistics FrontEnd { get; } = new();

    public BalancerMetrics Metrics { get; }

    /// <summary>Absolute state directory, or null when nothing is persisted.</summary>
    public string? StateDirectory { get; }

    public BalancerConfig Config => Snapshot.Config;

    /// <summary>Farms by name, from the current snapshot.</summary>
    public IReadOnlyDictionary<string, FarmRuntime> Farms => Snapshot.Farms;

    internal RuntimeSnapshot Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>Raised after every reload and server add/remove (not on state or weight changes).</summary>
    public event Action<BalancerRuntime>? Changed;

    /// <summary>Starts background work (active health checks).</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        List<HealthMonitor> monitors;
        lock (_changeLock)
        {
            _started = true;
            monitors = [.. _monitors.Values];
        }

        foreach (var monitor in monitors)
        {
            await monitor.StartAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Applies a new, validated configuration. Servers kept (same farm and name) keep their runtime.</summary>
    public void Apply(BalancerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        BalancerConfigLoader.Validate(config);
        lock (_changeLock)
        {
            ApplyLocked(config, saved: null);
        }

        Changed?.Invoke(this);
    }

    public FarmRuntime GetFarm(string farm)
        => Snapshot.Farms.TryGetValue(farm, out var f) ? f : throw new FarmNotFoundException(farm);

    public ServerRuntime GetServer(string farm, string name)
        => GetFarm(farm).FindServer(name) ?? throw new ServerNotFoundException(farm, name);

    /// <summary>Adds a server at run time; it is kept across reloads and restarts until removed.</summary>
    /// <exception cref="ArgumentException">The options are invalid (message names the field).</exception>
    public ServerRuntime AddServer(string farm, ServerOptions options)
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
            if (f.FindServer(options.Name) is not null)
            {
                throw new ServerConflictException(farm, options.Name);
            }

            var view = f.View;
            server = CreateServer(f.Name, options, view.Options, addedAtRuntime: true);
            server.WasAvailable = false; // a new server warms up (slow start)
            f.SetView(view with { Servers = [.. view.Servers, server] });
            UpdateMonitor(f);
            Save();
        }

        Events.Publish(farm, server.Name, EventKind.ServerAdded, $"server {server.Name} ({server.Address}) added with weight {server.Weight}");
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
            var view = f.View;
            var servers = new List<ServerRuntime>(view.Servers);
            servers.Remove(server);
            f.SetView(view with { Servers = [.. servers] });
            UpdateMonitor(f);
            Save();
        }

        Events.Publish(farm, server.Name, EventKind.ServerRemoved, $"server {server.Name} removed ({server.InFlight} request(s) still in flight finish normally)");
        Changed?.Invoke(this);
    }

    /// <summary>Changes a server's administrative state, raising Application Center's events.</summary>
    public void SetState(string farm, string name, ServerState state)
    {
        var server = GetServer(farm, name);
        ServerState previous;
        lock (_changeLock)
        {
            previous = server.State;
            if (previous == state)
            {
                return;
            }

            if (state == ServerState.Draining)
            {
                server.DrainCompletion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            if (state == ServerState.Online)
            {
                StartWarmup(server, GetFarm(farm).Options);
            }

            if (state == ServerState.Offline)
            {
                Events.Publish(farm, server.Name, EventKind.GoingOffline, $"server {server.Name} going offline ({server.InFlight} request(s) in flight)");
            }
            else if (state == ServerState.Online)
            {
                Events.Publish(farm, server.Name, EventKind.GoingOnline, $"server {server.Name} going online");
            }

            server.State = state;
            Save();
        }

        switch (state)
        {
            case ServerState.Online:
                Events.Publish(farm, server.Name, EventKind.Online, server.Healthy ? $"server {server.Name} is online" : $"server {server.Name} is online but unhealthy: it takes traffic once healthy");
                break;
            case ServerState.Offline:
                Events.Publish(farm, server.Name, EventKind.Offline, $"server {server.Name} is offline");
                break;
            case ServerState.Draining:
                Events.Publish(farm, server.Name, EventKind.Draining, $"server {server.Name} is draining: no new requests, {server.InFlight} in flight");
                CheckDrained(server);
                break;
        }

        // Leaving Draining releases anyone waiting for the drain (it will not complete now).
        if (previous == ServerState.Draining && state != ServerState.Draining)
        {
            server.DrainCompletion?.TrySetResult();
        }
    }

    public void SetWeight(string farm, string name, int weight)
    {
        if (!ConfigValidator.IsValidWeight(weight))
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "weights go from 0 to 10000");
        }

        var server = GetServer(farm, name);
        int previous;
        lock (_changeLock)
        {
            previous = server.Weight;
            if (previous == weight)
            {
                return;
            }

            server.Weight = weight;
            Save();
        }

        Events.Publish(farm, server.Name, EventKind.WeightChanged, $"server {server.Name} weight {previous} -> {weight}");
    }

    /// <summary>Completes when the server is Draining and has no request in flight (at once if already so).</summary>
    public Task WaitDrainedAsync(string farm, string name, CancellationToken cancellationToken = default)
    {
        var server = GetServer(farm, name);
        if (server.State != ServerState.Draining)
        {
            throw new InvalidOperationException($"server '{name}' in farm '{farm}' is {server.State}, not Draining");
        }

        var completion = server.DrainCompletion;
        if (completion is null || server.InFlight == 0)
        {
            return Task.CompletedTask;
        }

        return completion.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// `offline --drain`: drains now and sets the server Offline by itself once nothing is in flight and, when the
    /// farm has affinity, its drain timeout has passed (bound clients keep being served until then). Completes
    /// when the server is offline, or early when an operator changed its state or removed it meanwhile.
    /// </summary>
    public async Task DrainThenOfflineAsync(string farm, string name, CancellationToken cancellationToken = default)
    {
        SetState(farm, name, ServerState.Draining);
        var server = GetServer(farm, name);
        await WaitDrainedAsync(farm, name, cancellationToken).ConfigureAwait(false);
        var options = GetFarm(farm).Options;
        if (options.Affinity.Mode != AffinityMode.None && server.DrainingSince is { } since)
        {
            var remaining = since + options.Affinity.DrainTimeout - DateTimeOffset.UtcNow;
            if (remaining > TimeSpan.Zero)
            {
                await Task.Delay(remaining, cancellationToken).ConfigureAwait(false);
            }
        }

        // Bound clients may have started requests during the drain timeout: let them finish too.
        while (server.InFlight > 0 && server.State == ServerState.Draining)
        {
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        if (server.State == ServerState.Draining && ReferenceEquals(GetFarm(farm).FindServer(name), server))
        {
            SetState(farm, name, ServerState.Offline);
        }
    }

    /// <summary>Sets the health verdict (checks call this on transitions); raises failed / rejoined.</summary>
    public void SetHealth(string farm, string name, bool healthy, string reason)
        => SetHealth(GetServer(farm, name), healthy, reason);

    void IHealthStateSink.SetHealth(ServerRuntime server, bool healthy, string reason) => SetHealth(server, healthy, reason);

    private void SetHealth(ServerRuntime server, bool healthy, string reason)
    {
        if (server.Healthy == healthy)
        {
            return;
        }

        if (healthy && Snapshot.Farms.TryGetValue(server.Farm, out var farm))
        {
            StartWarmup(server, farm.Options);
        }

        server.Healthy = healthy;
        Events.Publish(
            server.Farm,
            server.Name,
            healthy ? EventKind.Rejoined : EventKind.Failed,
            healthy ? $"server {server.Name} rejoined: {reason}" : $"server {server.Name} failed: {reason}");
    }

    /// <summary>Runs one active probe now ("verify"), with the server's configured check or a default one.</summary>
    public async Task<HealthProbeResult> VerifyAsync(string farm, string name, CancellationToken cancellationToken = default)
    {
        var f = GetFarm(farm);
        var server = GetServer(farm, name);
        HealthMonitor? monitor;
        lock (_changeLock)
        {
            _monitors.TryGetValue(f.Name, out monitor);
        }

        if (monitor is not null)
        {
            return await monitor.VerifyAsync(server, f.Options.Health, cancellationToken).ConfigureAwait(false);
        }

        using var probe = new HealthProbe();
        return await probe.ProbeAsync(server, server.Options?.Health ?? f.Options.Health ?? new HealthCheckOptions(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Called by the forwarder when a request on <paramref name="server"/> ends.</summary>
    internal void OnRequestEnded(ServerRuntime server)
    {
        if (server.DecrementInFlight() == 0 && server.State == ServerState.Draining)
        {
            CheckDrained(server);
        }
    }

    private void CheckDrained(ServerRuntime server)
    {
        if (server.InFlight == 0 && server.State == ServerState.Draining && server.DrainCompletion is { } completion && completion.TrySetResult())
        {
            Events.Publish(server.Farm, server.Name, EventKind.FinishedDraining, $"server {server.Name} finished draining: no request in flight");
        }
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

    private void ApplyLocked(BalancerConfig config, Dictionary<string, Dictionary<string, ServerStateStore.SavedServer>>? saved)
    {
        var old = _snapshot;
        var farms = new Dictionary<string, FarmRuntime>(StringComparer.Ordinal);
        var stateDirectory = StateDirectory ?? Path.Combine(Path.GetTempPath(), "webfarm-" + Environment.ProcessId);

        // Components that can fail (an unusable affinity key file) are built before anything changes,
        // so a failure rejects the whole configuration and leaves the running one untouched.
        var affinities = new Dictionary<string, IAffinityProvider?>(StringComparer.Ordinal);
        foreach (var (name, options) in config.Farms)
        {
            FarmView? current = null;
            if (old is not null && old.Farms.TryGetValue(name, out var existingFarm))
            {
                current = existingFarm.View;
            }

            if (current is not null && current.Options.Affinity == options.Affinity)
            {
                affinities[name] = current.Affinity;
                continue;
            }

            try
            {
                affinities[name] = AffinityProviderFactory.Create(name, options.Affinity, stateDirectory);
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                throw new ConfigException([new ConfigError(config.SourcePath, $"$.Farms.{name}.Affinity", ex.Message)]);
            }
        }

        foreach (var (name, options) in config.Farms)
        {
            FarmRuntime? farm = null;
            old?.Farms.TryGetValue(name, out farm);
            var oldView = farm?.View;
            farm ??= new FarmRuntime(name, Metrics);

            Dictionary<string, ServerStateStore.SavedServer>? savedServers = null;
            saved?.TryGetValue(name, out savedServers);

            var servers = new List<ServerRuntime>(options.Servers.Count);
            foreach (var serverOptions in options.Servers)
            {
                var existing = FindIn(oldView, serverOptions.Name);
                if (existing is not null)
                {
                    Reconfigure(existing, serverOptions, options);
                    servers.Add(existing);
                    continue;
                }

                var server = CreateServer(name, serverOptions, options, addedAtRuntime: false);
                if (savedServers is not null && savedServers.TryGetValue(server.Name, out var s))
                {
                    Restore(server, s);
                }

                servers.Add(server);
            }

            // Servers added through the API stay unless the file now names them.
            if (oldView is not null)
            {
                foreach (var server in oldView.Servers)
                {
                    if (server.AddedAtRuntime && !Contains(servers, server.Name))
                    {
                        Reconfigure(server, server.Options!, options);
                        servers.Add(server);
                    }
                }
            }

            if (savedServers is not null)
            {
                foreach (var (serverName, s) in savedServers)
                {
                    if (s.Added is { } added && !Contains(servers, serverName))
                    {
                        var addedOptions = new ServerOptions { Name = serverName, Address = added.Address, Weight = added.Weight, Backup = added.Backup, MaxConcurrentRequests = added.MaxConcurrentRequests };
                        if (ConfigValidator.ValidateServer(addedOptions).Count == 0)
                        {
                            var server = CreateServer(name, addedOptions, options, addedAtRuntime: true);
                            Restore(server, s);
                            servers.Add(server);
                        }
                    }
                }
            }

            var policy = oldView is not null && oldView.Options.LoadBalancing == options.LoadBalancing && oldView.Options.HashKey == options.HashKey
                ? oldView.Policy
                : LoadBalancingPolicyFactory.Create(options.LoadBalancing, options.HashKey);
            var transport = oldView is not null && oldView.Transport.Matches(options) ? oldView.Transport : new FarmTransport(options, config.UsesEpoll);
            if (oldView is not null && !ReferenceEquals(transport, oldView.Transport))
            {
                oldView.Transport.Retire();
            }

            var affinity = affinities[name];
            var passive = oldView is not null && SamePassive(oldView.Options, options)
                ? oldView.PassiveHealth
                : CreatePassive(name, options);
            if (oldView?.PassiveHealth is IDisposable oldPassive && !ReferenceEquals(oldView.PassiveHealth, passive))
            {
                oldPassive.Dispose();
            }

            farm.SetView(new FarmView(options, [.. servers], policy, transport, affinity, passive));
            farms[name] = farm;
        }

        if (old is not null)
        {
            foreach (var (name, farm) in old.Farms)
            {
                if (!farms.ContainsKey(name))
                {
                    farm.View.Transport.Retire();
                    (farm.View.PassiveHealth as IDisposable)?.Dispose();
                }
            }
        }

        var snapshot = new RuntimeSnapshot(config, farms, RouteTable.Build(config, farms), new TrustedProxies(config.TrustedProxies));
        Volatile.Write(ref _snapshot, snapshot);
        foreach (var farm in farms.Values)
        {
            UpdateMonitor(farm);
        }

        foreach (var name in _monitors.Keys.ToList())
        {
            if (!farms.ContainsKey(name))
            {
                var monitor = _monitors[name];
                _monitors.Remove(name);
                _ = monitor.DisposeAsync().AsTask();
            }
        }

        if (saved is not null)
        {
            Save();
        }
    }

    private IPassiveHealthObserver? CreatePassive(string farm, FarmOptions options)
    {
        if (options.PassiveHealth is null)
        {
            return null;
        }

        return new PassiveHealthObserver(
            options.PassiveHealth,
            this,
            server => (server.Options?.Health ?? FarmOptionsOf(server)?.Health) is not null,
            logger: _loggerFactory.CreateLogger("WebFarm.Health"));
    }

    private FarmOptions? FarmOptionsOf(ServerRuntime server)
        => Snapshot.Farms.TryGetValue(server.Farm, out var farm) ? farm.Options : null;

    private static bool SamePassive(FarmOptions a, FarmOptions b)
    {
        if (a.PassiveHealth is null || b.PassiveHealth is null)
        {
            return a.PassiveHealth is null && b.PassiveHealth is null;
        }

        return a.PassiveHealth with { FailureStatus = null } == b.PassiveHealth with { FailureStatus = null }
            && a.PassiveHealth.FailureStatus?.ToString() == b.PassiveHealth.FailureStatus?.ToString()
            && (a.Health is null) == (b.Health is null);
    }

    private void UpdateMonitor(FarmRuntime farm)
    {
        var options = farm.Options;
        var targets = new List<HealthCheckTarget>();
        foreach (var server in farm.View.Servers)
        {
            var settings = server.Options?.Health ?? options.Health;
            if (settings is not null)
            {
                targets.Add(new HealthCheckTarget(server, settings));
            }
        }

        _monitors.TryGetValue(farm.Name, out var monitor);
        if (monitor is null)
        {
            if (targets.Count == 0)
            {
                return;
            }

            monitor = new HealthMonitor(farm.Name, this, logger: _loggerFactory.CreateLogger("WebFarm.Health"));
            _monitors[farm.Name] = monitor;
            monitor.Update(targets);
            if (_started)
            {
                _ = monitor.StartAsync();
            }

            return;
        }

        monitor.Update(targets);
    }

    private ServerRuntime CreateServer(string farm, ServerOptions options, FarmOptions farmOptions, bool addedAtRuntime)
    {
        var server = new ServerRuntime(farm, options.Name, new Uri(options.Address), options.Weight, options.Backup, Metrics)
        {
            AddedAtRuntime = addedAtRuntime,
            ConfigWeight = options.Weight,
        };
        Reconfigure(server, options, farmOptions);
        return server;
    }

    private static void Reconfigure(ServerRuntime server, ServerOptions options, FarmOptions farmOptions)
    {
        var address = new Uri(options.Address);
        server.Address = address;
        server.BaseAddress = address.GetLeftPart(UriPartial.Authority) + address.AbsolutePath.TrimEnd('/');
        server.Backup = options.Backup;

        // A live weight change survives a reload unless the file changed that server's weight.
        if (server.Options is not null && options.Weight != server.ConfigWeight)
        {
            server.Weight = options.Weight;
        }

        server.ConfigWeight = options.Weight;
        server.Options = options;
        var limit = options.MaxConcurrentRequests ?? farmOptions.Limits.MaxConcurrentRequestsPerServer;
        if (limit <= 0)
        {
            server.Gate = null;
        }
        else if (server.Gate is null)
        {
            server.Gate = new ServerConcurrencyGate(limit);
        }
        else
        {
            server.Gate.Limit = limit;
        }
    }

    private static void Restore(ServerRuntime server, ServerStateStore.SavedServer saved)
    {
        if (Enum.IsDefined(saved.State))
        {
            server.State = saved.State;
            if (saved.State == ServerState.Draining)
            {
                server.DrainCompletion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                server.DrainCompletion.TrySetResult();
            }
        }

        if (saved.ConfigWeight == server.ConfigWeight && ConfigValidator.IsValidWeight(saved.Weight))
        {
            server.Weight = saved.Weight;
        }
    }

    private void Save()
    {
        if (_stateStore is null || _snapshot is null)
        {
            return;
        }

        try
        {
            _stateStore.Save(_snapshot.Farms);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogError(ex, "Could not save server states to {Directory}", _stateStore.Directory);
        }
    }

    private void StartWarmup(ServerRuntime server, FarmOptions options)
    {
        if (options.SlowStart > TimeSpan.Zero)
        {
            server.WarmupStartTimestamp = Stopwatch.GetTimestamp();
            server.WarmupFactor = MinimumWarmupFactor;
            server.WasAvailable = true;
        }
    }

    /// <summary>
    /// Slow start: ramps WarmupFactor from 5% to 100% over the farm's SlowStart after a server becomes
    /// available again. Runs on a timer rather than per request so the hot path only reads a double.
    /// It also catches servers that came back without going through SetState/SetHealth.
    /// </summary>
    private void UpdateWarmup()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        foreach (var farm in Snapshot.Farms.Values)
        {
            var view = farm.View;
            var period = view.Options.SlowStart;
            foreach (var server in view.Servers)
            {
                var available = server.IsAvailable;
                if (period <= TimeSpan.Zero)
                {
                    server.WasAvailable = available;
                    if (server.WarmupFactor != 1.0)
                    {
                        server.WarmupFactor = 1.0;
                    }

                    continue;
                }

                if (available && !server.WasAvailable)
                {
                    server.WarmupStartTimestamp = now;
                }

                server.WasAvailable = available;
                if (!available || server.WarmupFactor >= 1.0 && server.WarmupStartTimestamp == 0)
                {
                    continue;
                }

                var elapsed = Stopwatch.GetElapsedTime(server.WarmupStartTimestamp, now);
                var factor = elapsed >= period ? 1.0 : Math.Max(MinimumWarmupFactor, elapsed / period);
                server.WarmupFactor = factor;
                if (factor >= 1.0)
                {
                    server.WarmupStartTimestamp = 0;
                }
            }
        }
    }

    private static ServerRuntime? FindIn(FarmView? view, string name)
    {
        if (view is null)
        {
            return null;
        }

        foreach (var s in view.Servers)
        {
            if (string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return s;
            }
        }

        return null;
    }

    private static bool Contains(List<ServerRuntime> servers, string name)
    {
        foreach (var s in servers)
        {
            if (string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _warmupTimer.DisposeAsync().ConfigureAwait(false);
        List<HealthMonitor> monitors;
        lock (_changeLock)
        {
            monitors = [.. _monitors.Values];
            _monitors.Clear();
        }

        foreach (var monitor in monitors)
        {
            await monitor.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var farm in Snapshot.Farms.Values)
        {
            farm.View.Transport.Retire();
            (farm.View.PassiveHealth as IDisposable)?.Dispose();
        }

        Metrics.Dispose();
    }
}
