using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using WebFarm.Agent.Control;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Hosting;
using WebFarm.Controller.Agents;
using WebFarm.Controller.Api;
using WebFarm.Controller.Leadership;
using WebFarm.Controller.Releases;
using WebFarm.Controller.Rotation;
using WebFarm.Controller.Store;

namespace WebFarm.Controller.Hosting;

/// <summary>
/// A running controller: the store (SQLite in the data directory, or a shared PostgreSQL), the in-process balancer
/// with one farm, the API and the leader election; while it leads, the <see cref="LeaderRole"/> (agent registry).
/// Start with <see cref="StartAsync"/>; stop by disposing.
/// </summary>
public sealed class ControllerHost : IAsyncDisposable
{
    private readonly IControllerStore _store;
    private readonly FarmRotation _rotation;
    private readonly ControllerOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private WebApplication? _api;
    private LeaderElection? _election;
    private LeaderRole? _role;
    private int _stopped;

    private ControllerHost(IControllerStore store, FarmRotation rotation, ReleaseLibrary releases, ControllerOptions options, ILoggerFactory loggerFactory)
    {
        _store = store;
        Releases = releases;
        _rotation = rotation;
        _options = options;
        _loggerFactory = loggerFactory;
    }

    /// <summary>The API's bound address (ephemeral port resolved).</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>The in-process balancer's client-facing address; null when only external balancers serve.</summary>
    public Uri? BalancerUrl => _rotation.Balancer?.ListenUris[0];

    public FarmRotation Rotation => _rotation;

    public IControllerStore Store => _store;

    /// <summary>What only the leader runs; null while this controller stands by.</summary>
    public LeaderRole? Role => Volatile.Read(ref _role);

    /// <summary>Whether this controller leads, and who does.</summary>
    public LeaderView Leadership => _election?.View ?? new LeaderView(false, null, "starting");

    /// <summary>The stored releases and content sets (releases.db and blobs/ in the data directory).</summary>
    public ReleaseLibrary Releases { get; }

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

        var (store, opened) = await OpenStoreAsync(options, dataDirectory, cancellationToken).ConfigureAwait(false);
        ILeaderLock? leaderLock = opened;
        FarmRotation? rotation = null;
        ControllerHost? host = null;
        ReleaseLibrary? releases = null;
        try
        {
            releases = await ReleaseLibrary.OpenAsync(dataDirectory, options.KeepReleases, options.Limits, null, cancellationToken).ConfigureAwait(false);
            rotation = await FarmRotation.StartAsync(options.FarmName, options.BalancerListen, options.BalancerAdmin, options.BalancerAdmin is null ? null : options.Token, options.HealthPath, options.HeartbeatInterval, options.Balancers, options.BalancerSyncInterval, loggerFactory, cancellationToken, options.AppLoadBalancing).ConfigureAwait(false);
            await CheckBalancerTokensAsync(rotation, cancellationToken).ConfigureAwait(false);
            host = new ControllerHost(store, rotation, releases, options, loggerFactory);
            host._api = ControllerApi.Build(options.Listen, options.Token, host, loggerFactory);
            await host._api.StartAsync(cancellationToken).ConfigureAwait(false);
            var addresses = host._api.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
            host.Url = new Uri(addresses?.FirstOrDefault() ?? throw new InvalidOperationException("the controller API has no address"));
            host._election = new LeaderElection(opened, options.Advertise ?? host.Url.ToString(), options.LeaderCheckInterval, loggerFactory.CreateLogger("WebFarm.Controller"), host.LeadAsync, host.StepDownAsync);
            leaderLock = null; // The election owns it now.
            await host._election.StartAsync(cancellationToken).ConfigureAwait(false);
            return host;
        }
        catch (Exception ex)
        {
            if (host is not null)
            {
                await host.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                if (rotation is not null)
                {
                    await rotation.DisposeAsync().ConfigureAwait(false);
                }

                await store.DisposeAsync().ConfigureAwait(false);
            }

            if (leaderLock is not null)
            {
                await leaderLock.DisposeAsync().ConfigureAwait(false);
            }

            if (host is null && releases is not null)
            {
                await releases.DisposeAsync().ConfigureAwait(false);
            }

            if (ex is SqliteException sqlite)
            {
                throw new ControllerStartException($"--data-dir {dataDirectory}: cannot open the release catalog {Path.Combine(dataDirectory, "releases.db")} ({sqlite.Message})", ex);
            }

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

        if (_api is not null)
        {
            await _api.StopAsync().ConfigureAwait(false);
            await _api.DisposeAsync().ConfigureAwait(false);
        }

        // Steps down (stopping the leader role) and gives the lock up, so a standby takes over at once.
        if (_election is not null)
        {
            await _election.DisposeAsync().ConfigureAwait(false);
        }

        await _rotation.DisposeAsync().ConfigureAwait(false);
        await Releases.DisposeAsync().ConfigureAwait(false);
        await _store.DisposeAsync().ConfigureAwait(false);
    }

    private async Task LeadAsync(CancellationToken cancellationToken)
    {
        Volatile.Write(ref _role, await LeaderRole.StartAsync(_store, _rotation, Releases, _options, _loggerFactory, cancellationToken).ConfigureAwait(false));

        // Only the leader drives the balancers; removals wait one lost-detection window (BalancerSync.Start).
        _rotation.Sync.Start(_options.HeartbeatInterval * (_options.MissedHeartbeats + 1));
    }

    private async Task StepDownAsync()
    {
        await _rotation.Sync.StopAsync().ConfigureAwait(false);
        var role = Interlocked.Exchange(ref _role, null);
        if (role is not null)
        {
            await role.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A balancer that refuses the controller's token is a start-up error naming it (a wrong --balancer-token would
    /// otherwise only show as a farm that never changes); one that cannot be reached now is retried.
    /// </summary>
    private static async Task CheckBalancerTokensAsync(FarmRotation rotation, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        foreach (var balancer in rotation.Sync.Balancers)
        {
            if (await balancer.CheckTokenAsync(cancellationToken).ConfigureAwait(false) is { } refused)
            {
                problems.Add(refused);
            }
        }

        if (problems.Count > 0)
        {
            throw new ControllerStartException(string.Join("; ", problems));
        }
    }

    private static async Task<(IControllerStore Store, ILeaderLock Lock)> OpenStoreAsync(ControllerOptions options, string dataDirectory, CancellationToken cancellationToken)
    {
        if (options.Store is { } url)
        {
            NpgsqlConnectionStringBuilder connection;
            try
            {
                connection = PostgresStoreUrl.Parse(url);
            }
            catch (FormatException ex)
            {
                throw new ControllerStartException($"--store {ex.Message}", ex);
            }

            try
            {
                var postgres = await PostgresControllerStore.OpenAsync(connection, cancellationToken).ConfigureAwait(false);
                return (postgres, new PostgresLeaderLock(connection));
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                throw new ControllerStartException($"--store {PostgresStoreUrl.Redact(url)}: cannot open the PostgreSQL store ({ex.Message})", ex);
            }
        }

        var storePath = Path.Combine(dataDirectory, SqliteControllerStore.FileName);
        try
        {
            return (await SqliteControllerStore.OpenAsync(storePath, cancellationToken).ConfigureAwait(false), new SoleLeaderLock());
        }
        catch (SqliteException ex)
        {
            throw new ControllerStartException($"--data-dir {dataDirectory}: cannot open the store {storePath} ({ex.Message})", ex);
        }
    }

    private static void Validate(ControllerOptions options)
    {
        if (!ListenAddress.TryParse(options.Listen, out var listen, out var error))
        {
            throw new ControllerStartException($"--listen {error}");
        }

        if (options.Store is { } store && !PostgresStoreUrl.IsPostgres(store))
        {
            throw new ControllerStartException($"--store '{PostgresStoreUrl.Redact(store)}' is not a postgres:// URL (leave --store out for the embedded SQLite store in --data-dir)");
        }

        if (options.Advertise is { } advertise)
        {
            if (!Uri.TryCreate(advertise, UriKind.Absolute, out var advertised) || advertised.Scheme is not ("http" or "https"))
            {
                throw new ControllerStartException($"--advertise '{advertise}' is not an http(s) URL like http://10.0.0.10:8070");
            }
        }
        else if (options.Store is not null && listen.AnyAddress)
        {
            throw new ControllerStartException($"--advertise is required: --listen {options.Listen} listens on every address, and the standby must tell agents and the CLI one URL where this controller leads");
        }

        if (!listen.IsLoopback && string.IsNullOrEmpty(options.Token))
        {
            throw new ControllerStartException($"--token is required because --listen {options.Listen} is not loopback (anyone who can reach it could join servers and change the farm)");
        }

        if (options.Token is { Length: < ConfigValidator.MinTokenLength })
        {
            throw new ControllerStartException($"--token must be at least {ConfigValidator.MinTokenLength} characters");
        }

        if (options.BalancerListen is null && options.Balancers.Count == 0)
        {
            throw new ControllerStartException("no balancer: give --balancer-listen for the in-process balancer, or --balancer URL for external ones");
        }

        if (options.BalancerListen is { } balancerListen && !ListenAddress.TryParse(balancerListen, out _, out error))
        {
            throw new ControllerStartException($"--balancer-listen {error}");
        }

        if (options.BalancerAdmin is { } admin)
        {
            if (options.BalancerListen is null)
            {
                throw new ControllerStartException($"--balancer-admin {admin} is the in-process balancer's admin API, and there is none: add --balancer-listen to run one beside the --balancer ones");
            }

            if (!ListenAddress.TryParse(admin, out _, out error))
            {
                throw new ControllerStartException($"--balancer-admin {error}");
            }
        }

        var balancers = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var balancer in options.Balancers)
        {
            if (!balancer.AdminUrl.IsAbsoluteUri || balancer.AdminUrl.Scheme is not ("http" or "https"))
            {
                throw new ControllerStartException($"--balancer '{balancer.AdminUrl}' is not an http(s) URL of a balancer's admin API, like http://10.0.0.5:8089");
            }

            if (!balancers.Add(balancer.Display))
            {
                throw new ControllerStartException($"--balancer {balancer.Display} is given twice");
            }
        }

        if (options.KeepReleases < 1)
        {
            throw new ControllerStartException($"--keep-releases {options.KeepReleases}: at least 1 release per app must be kept");
        }

        if (options.Limits.MaxFileBytes < 1 || options.Limits.MaxPackageBytes < options.Limits.MaxFileBytes)
        {
            throw new ControllerStartException($"--max-file-size {options.Limits.MaxFileBytes} and --max-release-size {options.Limits.MaxPackageBytes}: the file size must be at least 1 byte and at most the release size");
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
