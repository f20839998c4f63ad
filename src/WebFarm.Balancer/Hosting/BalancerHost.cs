using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WebFarm.Balancer.Admin;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Forwarding;
using WebFarm.Balancer.FrontEnd;
using WebFarm.Balancer.Pipeline;
using WebFarm.Balancer.Tcp;
using WebFarm.Balancer.Tls;
using WebFarm.Balancer.Transport;

namespace WebFarm.Balancer.Hosting;

/// <summary>
/// A running balancer: the client-facing Kestrel listener(s) with the forwarder, the admin API listener,
/// the runtime and, with a config file, the file watcher. Start with <see cref="StartAsync"/>, stop with
/// <see cref="StopAsync"/> or by disposing.
/// </summary>
public sealed partial class BalancerHost : IAsyncDisposable
{
    private readonly WebApplication? _dataPlane;
    private readonly TcpFrontEnd _tcp;
    private readonly Http1FrontEnd _frontEnd;
    private readonly WebApplication? _admin;
    private readonly ConfigWatcher? _watcher;
    private readonly ListenerTls _tls;
    private readonly TimeSpan _shutdownTimeout;
    private int _stopped;

    private BalancerHost(BalancerRuntime runtime, WebApplication? dataPlane, TcpFrontEnd tcp, Http1FrontEnd frontEnd, WebApplication? admin, ConfigWatcher? watcher, ListenerTls tls, string? configPath, TimeSpan shutdownTimeout)
    {
        _tls = tls;
        Runtime = runtime;
        _dataPlane = dataPlane;
        _tcp = tcp;
        _frontEnd = frontEnd;
        _admin = admin;
        _watcher = watcher;
        ConfigPath = configPath;
        _shutdownTimeout = shutdownTimeout;
        ListenUris = dataPlane is null ? [] : Addresses(dataPlane);
        AdminUri = admin is null ? null : Addresses(admin)[0];
    }

    public BalancerRuntime Runtime { get; }

    /// <summary>The HTTP/1.1 front end of the client listeners.</summary>
    internal Http1FrontEnd FrontEnd => _frontEnd;

    /// <summary>The client-facing addresses actually bound (ephemeral ports resolved).</summary>
    public IReadOnlyList<Uri> ListenUris { get; }

    /// <summary>Every bound port of the TCP listeners (ephemeral ports resolved), in configuration order.</summary>
    public IReadOnlyList<IPEndPoint> TcpEndPoints => _tcp.EndPoints;

    /// <summary>The admin API base address, or null when the admin API is disabled.</summary>
    public Uri? AdminUri { get; }

    /// <summary>The dashboard's address on the admin listener, or null when the admin API is disabled.</summary>
    public Uri? DashboardUri => AdminUri is null ? null : Dashboard.DashboardAddress.Of(AdminUri);

    /// <summary>The watched config file (full path), or null for an in-memory config.</summary>
    public string? ConfigPath { get; }

    /// <exception cref="ConfigException">The configuration is invalid (every problem listed).</exception>
    public static async Task<BalancerHost> StartAsync(BalancerHostOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if ((options.ConfigPath is null) == (options.Config is null))
        {
            throw new ArgumentException("Give exactly one of ConfigPath and Config.", nameof(options));
        }

        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger("WebFarm.Balancer");
        string? configPath = null;
        string? configText = null;
        BalancerConfig config;
        if (options.ConfigPath is not null)
        {
            configPath = Path.GetFullPath(options.ConfigPath);
            try
            {
                configText = await File.ReadAllTextAsync(configPath, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ConfigException([new ConfigError(configPath, "$", $"cannot read the file: {ex.Message}")]);
            }

            config = BalancerConfigLoader.Parse(configText, configPath);
        }
        else
        {
            config = options.Config!;
            BalancerConfigLoader.Validate(config);
        }

        BalancerConfig Adjust(BalancerConfig c)
        {
            var adjusted = c;
            if (options.ListenOverride is not null)
            {
                // The override replaces the HTTP listeners; TCP listeners (port rules) stay as configured.
                adjusted = adjusted with { Listen = [.. options.ListenOverride, .. c.Listen.Where(l => l.Protocol == TrafficProtocol.Tcp)] };
            }

            if (options.AdminOverride is not null)
            {
                adjusted = adjusted with { Admin = adjusted.Admin with { Listen = options.AdminOverride.Length == 0 ? null : options.AdminOverride } };
            }

            return adjusted;
        }

        config = Adjust(config);
        BalancerConfigLoader.Validate(config);
        var baseDirectory = configPath is null ? Directory.GetCurrentDirectory() : Path.GetDirectoryName(configPath)!;
        var stateDirectory = string.IsNullOrWhiteSpace(config.StateDirectory) ? null : Path.GetFullPath(Path.Combine(baseDirectory, config.StateDirectory));
        var token = ResolveToken(config, baseDirectory);

        var runtime = new BalancerRuntime(config, stateDirectory, loggerFactory);
        ListenerTls tls;
        try
        {
            tls = ListenerTls.Open(config, baseDirectory, runtime.Events, loggerFactory.CreateLogger("WebFarm.Tls"));
        }
        catch
        {
            await runtime.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        WebApplication? dataPlane = null;
        WebApplication? admin = null;
        TcpFrontEnd? tcp = null;
        var defaults = new KestrelServerLimits();
        var pipeline = new RequestPipeline(runtime, loggerFactory);
        var frontEnd = new Http1FrontEnd(
            pipeline,
            options.ClientKeepAliveTimeout ?? defaults.KeepAliveTimeout,
            options.ClientRequestHeadersTimeout ?? defaults.RequestHeadersTimeout);
        try
        {
            var forwarder = new HttpForwarder(pipeline);
            if (config.Listen.Any(l => l.Protocol == TrafficProtocol.Http))
            {
                // Without HTTP listeners Kestrel is not started at all (it would bind its default localhost:5000).
                dataPlane = BuildDataPlane(config.Listen, tls, config.UsesEpoll, forwarder, frontEnd, loggerFactory, options.ShutdownTimeout, options.TlsHandshakeTimeout ?? TlsTermination.DefaultHandshakeTimeout);
                await dataPlane.StartAsync(cancellationToken).ConfigureAwait(false);
            }

            tcp = TcpFrontEnd.Start(config.Listen, runtime, loggerFactory);

            if (!string.IsNullOrEmpty(config.Admin.Listen))
            {
                admin = AdminApi.Build(config.Admin.Listen, token, runtime, loggerFactory);
                await admin.StartAsync(cancellationToken).ConfigureAwait(false);
            }

            await runtime.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (admin is not null)
            {
                await admin.DisposeAsync().ConfigureAwait(false);
            }

            if (dataPlane is not null)
            {
                await dataPlane.DisposeAsync().ConfigureAwait(false);
            }

            if (tcp is not null)
            {
                await tcp.DisposeAsync().ConfigureAwait(false);
            }

            frontEnd.Dispose();
            tls.Dispose();
            await runtime.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var watcher = configPath is null
            ? null
            : new ConfigWatcher(configPath, configText!, runtime, Adjust, options.ReloadDebounce, loggerFactory.CreateLogger("WebFarm.Config"));
        var host = new BalancerHost(runtime, dataPlane, tcp, frontEnd, admin, watcher, tls, configPath, options.ShutdownTimeout);
        Log.Listening(
            logger,
            string.Join(", ", host.ListenUris.Select(u => u.ToString()).Concat(host.TcpEndPoints.Select(e => "tcp://" + e))),
            host.AdminUri?.ToString() ?? "(disabled)",
            config.Farms.Count,
            config.UsesEpoll ? "epoll" : InlineSocketCompletions.Enabled ? "sockets (inline I/O)" : "sockets");
        return host;
    }

    /// <summary>Re-reads the config file now (as a change would); false when it was rejected or there is no file.</summary>
    public bool Reload() => _watcher?.Reload(force: true) ?? false;

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        Runtime.MarkStopping();
        _watcher?.Dispose();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_shutdownTimeout);
        try
        {
            // TCP connections have no request boundary to finish at: stopping closes them (drain servers first to
            // move clients gracefully, docs/tcp.md).
            await _tcp.DisposeAsync().ConfigureAwait(false);
            if (_dataPlane is not null)
            {
                await _dataPlane.StopAsync(timeout.Token).ConfigureAwait(false);
            }

            if (_admin is not null)
            {
                await _admin.StopAsync(timeout.Token).ConfigureAwait(false);
            }
        }
        finally
        {
            if (_dataPlane is not null)
            {
                await _dataPlane.DisposeAsync().ConfigureAwait(false);
            }

            _frontEnd.Dispose();
            _tls.Dispose();
            if (_admin is not null)
            {
                await _admin.DisposeAsync().ConfigureAwait(false);
            }

            await Runtime.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private static WebApplication BuildDataPlane(IReadOnlyList<ListenEndpoint> listen, ListenerTls tls, bool useEpoll, HttpForwarder forwarder, Http1FrontEnd frontEnd, ILoggerFactory loggerFactory, TimeSpan shutdownTimeout, TimeSpan tlsHandshakeTimeout)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton<ILoggerFactory>(new QuietFrameworkLoggerFactory(loggerFactory));
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, EmbeddedHostLifetime>();
        builder.WebHost.UseKestrelCore();

        // With inline socket completions, run the forwarder on the socket engine's thread as well (see InlineSocketCompletions).
        var inline = InlineSocketCompletions.Enabled;
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = inline);
        if (useEpoll)
        {
            // Registered after the socket transport, so Kestrel picks it (it tries the last-registered factory first).
            // It logs its own failures through the ILoggerFactory registered above.
            builder.Services.AddSingleton<IConnectionListenerFactory, EpollConnectionListenerFactory>();
        }

        builder.WebHost.UseShutdownTimeout(shutdownTimeout);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;

            // Header values are read as Latin-1, one character per byte, so obs-text (bytes >= 0x80, which RFC 9110
            // allows in values) reaches servers as the same bytes on every upstream path (issue 13). Kestrel's default
            // decodes them as UTF-8, which changes invalid sequences and cannot be written back byte for byte.
            kestrel.RequestHeaderEncodingSelector = static _ => System.Text.Encoding.Latin1;

            // Bodies are streamed, not held: the size limit is the servers' business. Slow-rate limits are
            // replaced by the farm's idle timeout so that long-lived streams (gRPC, SSE) are not cut.
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.MinRequestBodyDataRate = null;
            kestrel.Limits.MinResponseDataRate = null;
            kestrel.Limits.KeepAliveTimeout = frontEnd.KeepAliveTimeout;
            kestrel.Limits.RequestHeadersTimeout = frontEnd.RequestHeadersTimeout;
            var tlsLogger = loggerFactory.CreateLogger("WebFarm.Tls");
            for (var i = 0; i < listen.Count; i++)
            {
                var endpoint = listen[i];
                if (endpoint.Protocol == TrafficProtocol.Tcp)
                {
                    continue; // TcpFrontEnd's; the index stays the config's, which tls.Store counts by
                }

                var policy = ListenerPolicy.For(endpoint, tls.FirstHttpsPort);

                // The front end serves HTTP/1.1 on cleartext listeners and, after Kestrel's TLS middleware, on https
                // ones; listeners that redirect to https are Kestrel's (they forward nothing). docs/https.md, "Which
                // code serves https".
                Func<ConnectionDelegate, ConnectionDelegate>? http1 = policy is { RedirectPort: not 0 } ? null
                    : endpoint.IsHttps ? frontEnd.WrapHttps(policy)
                    : frontEnd.Wrap;
                // On the epoll transport the TLS step is WebFarm's own, on the connection's socket (TlsTermination);
                // elsewhere it passes the connection to Kestrel's TLS middleware, with the same timeout.
                var store = tls.Store(i);
                var termination = store is null ? null : new TlsTermination(store, tlsLogger, tlsHandshakeTimeout);
                Listen(kestrel, endpoint.Url, endpoint.Protocols, http1, store, policy, termination);
            }
        });
        var app = builder.Build();
        app.Run(forwarder.InvokeAsync);
        return app;
    }

    /// <param name="http1Middleware">Wraps the connection pipeline of listeners that speak HTTP/1.1 (the front end; on https listeners after the TLS middleware); null for none.</param>
    /// <param name="certificates">An https listener's certificates; null for cleartext.</param>
    /// <param name="policy">A redirect or HSTS, set as a connection feature for Kestrel's requests; null for none.</param>
    /// <param name="termination">WebFarm's own TLS step, before Kestrel's (which then passes its connections on); null for Kestrel's alone.</param>
    internal static void Listen(KestrelServerOptions kestrel, string url, ListenProtocols protocols, Func<ConnectionDelegate, ConnectionDelegate>? http1Middleware = null, CertificateStore? certificates = null, ListenerPolicy? policy = null, TlsTermination? termination = null)
    {
        if (!ListenAddress.TryParse(url, out var address, out var error, allowHttps: certificates is not null))
        {
            throw new ConfigException([new ConfigError(null, "$.Listen", error)]);
        }

        // Cleartext listeners have no ALPN: Kestrel cannot offer both versions on one such port, so Http1AndHttp2
        // means HTTP/1.1 there and HTTP/2 clients use a "Protocols": "Http2" (h2c) listener. TLS listeners offer what
        // the setting says through ALPN.
        var kestrelProtocols = protocols switch
        {
            ListenProtocols.Http2 => HttpProtocols.Http2,
            ListenProtocols.Http1AndHttp2 when certificates is not null => HttpProtocols.Http1AndHttp2,
            _ => HttpProtocols.Http1,
        };
        void Configure(ListenOptions o)
        {
            o.Protocols = kestrelProtocols;
            if (policy is not null)
            {
                o.Use(next => connection =>
                {
                    connection.Features.Set(policy);
                    return next(connection);
                });
            }

            if (termination is not null)
            {
                o.Use(termination.Wrap);
            }

            if (certificates is not null)
            {
                o.UseHttps(new TlsHandshakeCallbackOptions
                {
                    OnConnection = CertificateStore.OnConnection,
                    OnConnectionState = certificates,
                    HandshakeTimeout = termination?.HandshakeTimeout ?? TlsTermination.DefaultHandshakeTimeout,
                });
            }

            if (http1Middleware is not null && (kestrelProtocols & HttpProtocols.Http1) != 0)
            {
                o.Use(http1Middleware);
            }
        }

        if (address.AnyAddress)
        {
            kestrel.ListenAnyIP(address.Port, Configure);
        }
        else if (address.Localhost)
        {
            kestrel.ListenLocalhost(address.Port, Configure);
        }
        else
        {
            kestrel.Listen(address.Address!, address.Port, Configure);
        }
    }

    private static string? ResolveToken(BalancerConfig config, string baseDirectory)
    {
        var admin = config.Admin;
        if (admin.Token is not null)
        {
            return admin.Token;
        }

        if (admin.TokenFile is not null)
        {
            var path = Path.GetFullPath(Path.Combine(baseDirectory, admin.TokenFile));
            string token;
            try
            {
                token = File.ReadLines(path).FirstOrDefault()?.Trim() ?? string.Empty;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ConfigException([new ConfigError(config.SourcePath, "$.Admin.TokenFile", $"cannot read {path}: {ex.Message}")]);
            }

            if (token.Length < 16)
            {
                throw new ConfigException([new ConfigError(config.SourcePath, "$.Admin.TokenFile", $"the token in {path} must be at least 16 characters")]);
            }

            return token;
        }

        if (!string.IsNullOrEmpty(admin.Listen) && ListenAddress.TryParse(admin.Listen, out var address, out _) && !address.IsLoopback)
        {
            // Validation already refuses this; kept as a last guard because it protects the whole farm.
            throw new ConfigException([new ConfigError(config.SourcePath, "$.Admin.Token", $"a token is required because the admin listener {admin.Listen} is not loopback")]);
        }

        return null;
    }

    private static List<Uri> Addresses(WebApplication app)
    {
        var feature = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>();
        var list = new List<Uri>();
        foreach (var address in feature?.Addresses ?? [])
        {
            // Kestrel reports wildcard binds as "http://[::]:80"; keep them as they are (callers know what they bound).
            if (Uri.TryCreate(address, UriKind.Absolute, out var uri))
            {
                list.Add(uri);
            }
        }

        return list;
    }
}
