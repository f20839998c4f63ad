using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using WebFarm.Agent.Control;
using WebFarm.Agent.Supervision;
using WebFarm.Balancer.Configuration;
using WebFarm.Controller.Api;
using WebFarm.Controller.Hosting;
using WebFarm.Controller.Rotation;
using WebFarm.Controller.Store;

namespace WebFarm.Controller.Apps;

/// <summary>
/// The farm's apps: checked against each other and the joined servers before anything is stored (a refused app
/// changes nothing), kept in the store, turned into the balancer's farms and routes, and into each server's desired
/// apps (with the member library's environment and a version the agent compares).
/// </summary>
public sealed class AppCatalog
{
    private readonly IAppStore _store;
    private readonly FarmRotation _rotation;
    private readonly ControllerOptions _options;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _changes = new(1, 1);
    private readonly ConcurrentDictionary<(string App, string Server), string> _restartTokens = new();
    private volatile AppDefinition[] _apps = [];

    public AppCatalog(IAppStore store, FarmRotation rotation, ControllerOptions options, TimeProvider? time = null)
    {
        _store = store;
        _rotation = rotation;
        _options = options;
        _time = time ?? TimeProvider.System;
    }

    public IReadOnlyList<AppDefinition> Apps => _apps;

    /// <summary>Which release each server runs, for the apps that run their releases (set by deployments).</summary>
    public Deployments.ReleasePlacement Releases { get; } = new();

    /// <summary>Loads the stored apps and gives each its farm.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var apps = await _store.ListAppsAsync(cancellationToken).ConfigureAwait(false);
        _rotation.ApplyApps(apps);
        _apps = [.. apps];
    }

    public AppDefinition? Find(string name) => Array.Find(_apps, a => a.Name == name);

    /// <exception cref="ApiException">404 when there is no such app.</exception>
    public AppDefinition Get(string name)
        => Find(name) ?? throw new ApiException(404, $"no app named '{name}' (apps: {(_apps.Length == 0 ? "none" : string.Join(", ", _apps.Select(a => a.Name)))})");

    /// <summary>Checks, stores and applies a new app.</summary>
    /// <param name="servers">The joined servers' names (an app placed on another is refused).</param>
    /// <exception cref="Balancer.Admin.AdminRequestException">A field is invalid (400).</exception>
    /// <exception cref="ApiException">409 for a taken name, overlapping ports or a claimed host.</exception>
    public async Task<AppDefinition> AddAsync(AppDefinition app, IReadOnlyCollection<string> servers, CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = _apps;
            Check(app, current, servers);
            AppDefinition[] next = [.. current, app];
            try
            {
                _rotation.ConfigFor(next);
            }
            catch (ConfigException ex)
            {
                throw new Balancer.Admin.AdminRequestException($"the balancer refuses the app's farm: {ex.Message}");
            }

            if (!await _store.AddAppAsync(app, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false))
            {
                throw new ApiException(409, $"name: an app named '{app.Name}' exists; remove it first (`webfarm apps remove {app.Name}`)");
            }

            _rotation.ApplyApps(next);
            _apps = next;
            _rotation.Runtime.Events.Publish(app.Name, null, Balancer.Events.EventKind.AppAdded, $"app {app.Name} added: {(app.RunsReleases ? "runs its releases" : app.Command)} on ports {app.Ports}, {(app.Servers.Count == 0 ? "every server" : string.Join(", ", app.Servers))}");
            return app;
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>
    /// Applies the apps' farms and routes again (a stage's routes changed, see <see cref="FarmRotation.SetStage"/>), in
    /// turn with the other changes to the apps so that the last one applied holds both.
    /// </summary>
    /// <exception cref="ConfigException">The balancer refuses the result (nothing is applied).</exception>
    public async Task ReapplyAsync(CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _rotation.ApplyApps(_apps);
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Forgets the app: its farm leaves the balancer, and its agents stop its instances at their next heartbeat.</summary>
    /// <exception cref="ApiException">404 when there is no such app.</exception>
    public async Task RemoveAsync(string name, CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var app = Get(name);
            AppDefinition[] next = [.. _apps.Where(a => a.Name != name)];
            var config = _rotation.ConfigFor(next);
            await _store.RemoveAppAsync(name, cancellationToken).ConfigureAwait(false);
            _rotation.Runtime.Apply(config);
            _apps = next;
            Releases.Remove(name);
            foreach (var key in _restartTokens.Keys.Where(k => k.App == name).ToList())
            {
                _restartTokens.TryRemove(key, out _);
            }

            _rotation.Runtime.Events.Publish(app.Name, null, Balancer.Events.EventKind.AppRemoved, $"app {app.Name} removed: its instances stop");
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Asks <paramref name="server"/>'s instance of <paramref name="app"/> to restart (a new token in its desired apps).</summary>
    public string RequestRestart(string app, string server)
    {
        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();
        _restartTokens[(app, server)] = token;
        return token;
    }

    /// <summary>The apps <paramref name="server"/> should run, and their version (a digest of them: equal lists, equal versions).</summary>
    /// <param name="labels">The server's labels (apps placed with `on` select by them).</param>
    /// <param name="trustedProxies">The balancers' addresses as the server sees them (comma list).</param>
    public (string Version, List<DesiredApp> Apps) DesiredFor(string server, IReadOnlyDictionary<string, string> labels, string trustedProxies)
    {
        var list = new List<DesiredApp>();
        foreach (var app in _apps)
        {
            if (!app.RunsOn(server, labels))
            {
                continue;
            }

            var environment = MemberLibrary.Environment(server, _options.StateEndpoint, app.Name, trustedProxies);
            foreach (var (key, value) in app.Environment)
            {
                environment[key] = value; // The app's own settings win.
            }

            var desired = new DesiredApp(app.Name, app.Command, app.Arguments, app.PortFrom, app.PortTo, app.HealthPath, environment, _restartTokens.GetValueOrDefault((app.Name, server))) { HealthStatus = app.HealthStatus };
            if (!app.RunsReleases)
            {
                list.Add(desired);
            }
            else
            {
                var releases = Releases.For(app.Name, server);
                if (releases is not null)
                {
                    // Nothing runs before the app's first deployment; during its turn the server runs both releases.
                    list.Add(desired with { Release = releases.Serving, Entry = app.Entry });
                    if (releases.Next is { } next && next != releases.Serving)
                    {
                        list.Add(desired with { Release = next, Entry = app.Entry });
                    }
                }

                // A staged release runs beside them (the same desired app, so promoting it keeps its process).
                if (Releases.Staged(app.Name, server) is { } staged && staged != releases?.Serving && staged != releases?.Next)
                {
                    list.Add(desired with { Release = staged, Entry = app.Entry });
                }
            }
        }

        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(ControllerJson.Serialize(list)));
        return (Convert.ToHexString(digest, 0, 8).ToLowerInvariant(), list);
    }

    private void Check(AppDefinition app, AppDefinition[] current, IReadOnlyCollection<string> servers)
    {
        if (!ConfigValidator.IsValidName(app.Name))
        {
            throw new Balancer.Admin.AdminRequestException($"name: '{app.Name}' must be 1-64 characters of letters, digits, '-', '_' or '.'");
        }

        if (app.Name == _options.FarmName)
        {
            throw new ApiException(409, $"name: '{app.Name}' is the farm of servers that run their own app (--farm); choose another name");
        }

        if (Array.Find(current, a => a.Name == app.Name) is not null)
        {
            throw new ApiException(409, $"name: an app named '{app.Name}' exists; remove it first (`webfarm apps remove {app.Name}`)");
        }

        var placed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var server in app.Servers)
        {
            if (!servers.Contains(server))
            {
                throw new ApiException(404, $"servers: no server named '{server}' has joined (servers: {(servers.Count == 0 ? "none" : string.Join(", ", servers.Order(StringComparer.Ordinal)))})");
            }

            if (!placed.Add(server))
            {
                throw new Balancer.Admin.AdminRequestException($"servers: '{server}' is named twice");
            }
        }

        foreach (var host in app.Hosts)
        {
            if (!ConfigValidator.IsValidHostPattern(host))
            {
                throw new Balancer.Admin.AdminRequestException($"hosts: '{host}' is not a host name or a \"*.example.com\" pattern");
            }
        }

        foreach (var other in current)
        {
            if (app.Hosts.Count == 0 && other.Hosts.Count == 0)
            {
                throw new ApiException(409, $"hosts: app '{other.Name}' already takes the requests no host name claims; give '{app.Name}' host names (--host)");
            }

            foreach (var host in app.Hosts)
            {
                if (other.Hosts.Contains(host, StringComparer.OrdinalIgnoreCase))
                {
                    throw new ApiException(409, $"hosts: '{host}' is routed to app '{other.Name}' already");
                }
            }

            if (app.PortFrom <= other.PortTo && other.PortFrom <= app.PortTo && SharedServer(app, other) is { } shared)
            {
                throw new ApiException(409, $"ports: {app.Ports} overlaps app '{other.Name}''s ports {other.Ports} on {shared}; choose a range no app on the same servers uses");
            }
        }
    }

    /// <summary>A server both apps run on ("every server" when both run everywhere), or null.</summary>
    private static string? SharedServer(AppDefinition a, AppDefinition b)
    {
        if (a.Servers.Count == 0 && b.Servers.Count == 0)
        {
            return "every server";
        }

        if (a.Servers.Count == 0)
        {
            return b.Servers[0];
        }

        if (b.Servers.Count == 0)
        {
            return a.Servers[0];
        }

        return a.Servers.FirstOrDefault(s => b.Servers.Contains(s, StringComparer.Ordinal));
    }
}
