using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WebFarm.Agent.Control;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Hosting;
using WebFarm.Controller.Agents;
using WebFarm.Controller.Api;
using WebFarm.Controller.Apps;
using WebFarm.Controller.Rotation;
using WebFarm.Controller.Store;
using WebFarm.Controller.Trace;

namespace WebFarm.Controller.Hosting;

/// <summary>
/// A running controller: the store (SQLite in the data directory), the in-process balancer with one farm, the agent
/// registry and the API. Start with <see cref="StartAsync"/>; stop by disposing.
/// </summary>
public sealed class ControllerHost : IAsyncDisposable
{
    private readonly IControllerStore _store;
    private readonly FarmRotation _rotation;
    private readonly AgentRegistry _registry;
    private readonly WebApplication _api;
    private int _stopped;

    private ControllerHost(IControllerStore store, FarmRotation rotation, AgentRegistry registry, WebApplication api)
    {
        _store = store;
        _rotation = rotation;
        _registry = registry;
        _api = api;
        var addresses = api.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        Url = new Uri(addresses?.FirstOrDefault() ?? throw new InvalidOperationException("the controller API has no address"));
    }

    /// <summary>The API's bound address (ephemeral port resolved).</summary>
    public Uri Url { get; }

    /// <summary>The in-process balancer's client-facing address.</summary>
    public Uri BalancerUrl => _rotation.Balancer.ListenUris[0];

    public FarmRotation Rotation => _rotation;

    public AgentRegistry Agents => _registry;

    /// <exception cref="ControllerStartException">A bad option, an unwritable data directory or an unusable store; nothing is left running.</exception>
    public static async Task<ControllerHost> StartAsync(ControllerOptions options, ILoggerFactory? loggerFactory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        loggerFactory ??= NullLoggerFactory.Instance;
        Validate(options);
        string dataDirectory;
        try
        {
            dataDirectory = DataDirectory.EnsureWritable(options.DataDirectory, "--data-dir");
        }
        catch (DataDirectoryException ex)
        {
            throw new ControllerStartException(ex.Message, ex);
        }

        var storePath = Path.Combine(dataDirectory, SqliteControllerStore.FileName);
        SqliteControllerStore store;
        try
        {
            store = await SqliteControllerStore.OpenAsync(storePath, cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw new ControllerStartException($"--data-dir {dataDirectory}: cannot open the store {storePath} ({ex.Message})", ex);
        }

        FarmRotation? rotation = null;
        AgentRegistry? registry = null;
        WebApplication? api = null;
        try
        {
            rotation = await FarmRotation.StartAsync(options.FarmName, options.BalancerListen, options.BalancerAdmin, options.BalancerAdmin is null ? null : options.Token, options.HealthPath, options.HeartbeatInterval, loggerFactory, cancellationToken).ConfigureAwait(false);
            var apps = new AppCatalog(store, rotation, options);
            await apps.StartAsync(cancellationToken).ConfigureAwait(false);
            var trace = new TraceStore();
            registry = new AgentRegistry(store, rotation, apps, trace, options, loggerFactory.CreateLogger("WebFarm.Controller"));
            registry.Commands = new Commands.CommandDispatcher(registry);
            await registry.StartAsync(cancellationToken).ConfigureAwait(false);
            api = ControllerApi.Build(options.Listen, options.Token, registry, rotation, apps, new RollingRestart(registry, apps, rotation), trace, loggerFactory);
            await api.StartAsync(cancellationToken).ConfigureAwait(false);
            return new ControllerHost(store, rotation, registry, api);
        }
        catch (Exception ex)
        {
            if (api is not null)
            {
                await api.DisposeAsync().ConfigureAwait(false);
            }

            if (registry is not null)
            {
                await registry.DisposeAsync().ConfigureAwait(false);
            }

            if (rotation is not null)
            {
                await rotation.DisposeAsync().ConfigureAwait(false);
            }

            await store.DisposeAsync().ConfigureAwait(false);
            if (ex is ConfigException config)
            {
                throw new ControllerStartException($"the in-process balancer cannot start: {config.Message}", ex);
            }

            if (ex is IOException io)
            {
                throw new ControllerStartException($"cannot listen: {io.Message}", ex);
            }

            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        await _api.StopAsync().ConfigureAwait(false);
        await _api.DisposeAsync().ConfigureAwait(false);
        await _registry.DisposeAsync().ConfigureAwait(false);
        await _rotation.DisposeAsync().ConfigureAwait(false);
        await _store.DisposeAsync().ConfigureAwait(false);
    }

    private static void Validate(ControllerOptions options)
    {
        if (!ListenAddress.TryParse(options.Listen, out var listen, out var error))
        {
            throw new ControllerStartException($"--listen {error}");
        }

        if (!listen.IsLoopback && string.IsNullOrEmpty(options.Token))
        {
            throw new ControllerStartException($"--token is required because --listen {options.Listen} is not loopback (anyone who can reach it could join servers and change the farm)");
        }

        if (options.Token is { Length: < ConfigValidator.MinTokenLength })
        {
            throw new ControllerStartException($"--token must be at least {ConfigValidator.MinTokenLength} characters");
        }

        if (!ListenAddress.TryParse(options.BalancerListen, out _, out error))
        {
            throw new ControllerStartException($"--balancer-listen {error}");
        }

        if (options.BalancerAdmin is { } admin && !ListenAddress.TryParse(admin, out _, out error))
        {
            throw new ControllerStartException($"--balancer-admin {error}");
        }

        if (!ConfigValidator.IsValidName(options.FarmName))
        {
            throw new ControllerStartException($"--farm '{options.FarmName}' must be 1-64 characters of letters, digits, '-', '_' or '.'");
        }

        if (options.StateEndpoint is { } state)
        {
            var colon = state.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(state.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                throw new ControllerStartException($"--state-endpoint '{state}' is not host:port, like 10.0.0.10:42424");
            }
        }

        if (WebFarm.Agent.Readiness.HealthRule.CheckPath(options.HealthPath) is { } problem)
        {
            throw new ControllerStartException($"--health-path '{options.HealthPath}': {problem}");
        }
    }
}
