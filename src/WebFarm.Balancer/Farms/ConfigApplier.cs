using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Affinity;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Forwarding;
using WebFarm.Balancer.Health;
using WebFarm.Balancer.LoadBalancing;
using WebFarm.Balancer.Routing;
using WebFarm.Balancer.Tls;
using WebFarm.Balancer.Transport;

namespace WebFarm.Balancer.Farms;

/// <summary>
/// Applying a configuration: builds each farm's <see cref="FarmView"/> (servers kept by name, policy, transport,
/// affinity, passive health), then the <see cref="RuntimeSnapshot"/>, and publishes them. Also builds the servers
/// added and removed through the API. Every method is called with the runtime's change lock held.
/// </summary>
internal sealed partial class ConfigApplier
{
    private readonly BalancerRuntime _runtime;
    private readonly HealthMonitorSet _monitors;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly ILogger _transportLogger;

    public ConfigApplier(BalancerRuntime runtime, HealthMonitorSet monitors, ILoggerFactory loggerFactory)
    {
        _runtime = runtime;
        _monitors = monitors;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("WebFarm.Balancer");
        _transportLogger = loggerFactory.CreateLogger(EpollConnectionListenerFactory.LogCategory);
    }

    /// <summary>Adds a server to <paramref name="farm"/>'s view (the caller checked the name is free).</summary>
    /// <param name="healthy">False: the server is unhealthy before any request can see it (before the view that names
    /// it is published), and its health monitor starts counting from there (Rise passes bring it in).</param>
    public ServerRuntime AddServer(FarmRuntime farm, ServerOptions options, bool healthy)
    {
        var view = farm.View;
        var server = CreateServer(farm.Name, options, view.Options, addedAtRuntime: true);
        server.WasAvailable = false; // a new server warms up (slow start)
        server.Healthy = healthy;
        farm.SetView(view with { Servers = [.. view.Servers, server] });
        _monitors.Update(farm);
        _runtime.SaveStates();
        return server;
    }

    public void RemoveServer(FarmRuntime farm, ServerRuntime server)
    {
        var view = farm.View;
        var servers = new List<ServerRuntime>(view.Servers);
        servers.Remove(server);
        farm.SetView(view with { Servers = [.. servers] });
        _monitors.Update(farm);
        _runtime.SaveStates();
    }

    /// <summary>
    /// Builds the views and the snapshot of <paramref name="config"/> and publishes them; <paramref name="saved"/>
    /// (at start only) restores servers.json. Three steps, in the order docs/architecture.md ("Snapshots, not
    /// locks") sets down: build everything (a failure leaves the running configuration whole), publish every
    /// farm's view and then the snapshot that names them, and only then retire the transports and passive-health
    /// observers that no published view names any more.
    /// </summary>
    public void Apply(BalancerConfig config, Dictionary<string, Dictionary<string, ServerStateStore.SavedServer>>? saved)
    {
        RuntimeSnapshot? old = _runtime.Snapshot;
        var farms = new Dictionary<string, FarmRuntime>(StringComparer.Ordinal);
        var stateDirectory = _runtime.StateDirectory ?? Path.Combine(Path.GetTempPath(), "webfarm-" + Environment.ProcessId);

        // Components that can fail (an unusable affinity key file, a cache's disk folder) are built before anything
        // changes, so a failure rejects the whole configuration and leaves the running one untouched.
        var cacheDisks = _runtime.Caches.OpenDiskTiers(config.Routes, config.SourcePath);
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

        // Reading a farm's CA file can fail too: before anything changes.
        var baseDirectory = config.SourcePath is null ? Directory.GetCurrentDirectory() : Path.GetDirectoryName(config.SourcePath)!;
        var trust = new Dictionary<string, UpstreamTls>(StringComparer.Ordinal);
        foreach (var (name, options) in config.Farms)
        {
            try
            {
                trust[name] = UpstreamTls.For(options, baseDirectory);
            }
            catch (InvalidOperationException ex)
            {
                throw new ConfigException([new ConfigError(config.SourcePath, $"$.Farms.{name}.TlsCaFile", ex.Message)]);
            }
        }

        var views = new List<(FarmRuntime Farm, FarmView View)>(config.Farms.Count);
        var replaced = new List<(string Farm, FarmView View)>();
        foreach (var (name, options) in config.Farms)
        {
            FarmRuntime? farm = null;
            old?.Farms.TryGetValue(name, out farm);
            var oldView = farm?.View;
            farm ??= new FarmRuntime(name, _runtime.Metrics);

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
                    ServerStatePersistence.Restore(server, s, hasActiveCheck: (serverOptions.Health ?? options.Health) is not null);
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
                            ServerStatePersistence.Restore(server, s, hasActiveCheck: options.Health is not null);
                            servers.Add(server);
                        }
                    }
                }
            }

            var policy = oldView is not null && oldView.Options.LoadBalancing == options.LoadBalancing && oldView.Options.HashKey == options.HashKey
                ? oldView.Policy
                : LoadBalancingPolicyFactory.Create(options.LoadBalancing, options.HashKey);
            var tls = trust[name];
            var transport = oldView is not null && oldView.Transport.Matches(options, tls) ? oldView.Transport : new FarmTransport(options, config.UsesEpoll, tls, _transportLogger);
            if (tls.SkipVerify && oldView?.Transport.Tls.SkipVerify != true)
            {
                // Once, when a farm starts skipping verification: said where an operator looks, not per request.
                Log.InsecureSkipVerify(_logger, name);
            }

            var affinity = affinities[name];
            var passive = oldView is not null && SamePassive(oldView.Options, options)
                ? oldView.PassiveHealth
                : CreatePassive(name, options);
            if (oldView is not null)
            {
                replaced.Add((name, oldView));
            }

            views.Add((farm, new FarmView(options, [.. servers], policy, transport, affinity, passive)));
            farms[name] = farm;
        }

        if (old is not null)
        {
            foreach (var (name, farm) in old.Farms)
            {
                if (!farms.ContainsKey(name))
                {
                    replaced.Add((name, farm.View));
                }
            }
        }

        var snapshot = new RuntimeSnapshot(config, farms, RouteTable.Build(config, farms, _runtime.Caches.Rebuild(config.Routes, cacheDisks)), new TrustedProxies(config.TrustedProxies));

        // Views first: a request that reads the new snapshot must find every farm's view already there
        // (a new farm has none before), and one that still holds the old snapshot may see a kept farm's
        // new view, which is whole by itself (options, servers, policy, transport, affinity, passive health).
        foreach (var (farm, view) in views)
        {
            farm.SetView(view);
        }

        _runtime.Publish(snapshot);

        // Retired last: a request whose transport was retired takes its farm's current view again
        // (AttemptLease.TryBegin), so that view must already name the new transport.
        foreach (var (name, view) in replaced)
        {
            Retire(view, farms.TryGetValue(name, out var farm) ? farm.View : null);
        }

        foreach (var farm in farms.Values)
        {
            _monitors.Update(farm);
        }

        _monitors.RemoveAllBut(farms);

        if (saved is not null)
        {
            _runtime.SaveStates();
        }
    }

    /// <summary>Retires what a replaced view held and no published view holds any more.</summary>
    private static void Retire(FarmView oldView, FarmView? current)
    {
        if (current is null || !ReferenceEquals(current.Transport, oldView.Transport))
        {
            oldView.Transport.Retire();
        }

        if (oldView.PassiveHealth is IDisposable passive && (current is null || !ReferenceEquals(current.PassiveHealth, oldView.PassiveHealth)))
        {
            passive.Dispose();
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
            _runtime,
            server => (server.Options?.Health ?? FarmOptionsOf(server)?.Health) is not null,
            logger: _loggerFactory.CreateLogger("WebFarm.Health"));
    }

    private FarmOptions? FarmOptionsOf(ServerRuntime server)
        => _runtime.Snapshot.Farms.TryGetValue(server.Farm, out var farm) ? farm.Options : null;

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

    public ServerRuntime CreateServer(string farm, ServerOptions options, FarmOptions farmOptions, bool addedAtRuntime)
    {
        var server = new ServerRuntime(farm, options.Name, new Uri(options.Address), options.Weight, options.Backup, _runtime.Metrics)
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
}
