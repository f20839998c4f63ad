using System.Net;
using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Forwarding.Http1;
using WebFarm.Balancer.Tls;

namespace WebFarm.Balancer.Forwarding;

/// <summary>
/// The outgoing side of a farm: one SocketsHttpHandler (one connection pool, made at first use) with the farm's
/// timeouts and HTTP version, and for HTTP/1.1 farms the direct path's connection pools (one per server address). A reload that
/// changes those builds a new transport; the old one is retired and disposed only when its last in-flight request
/// ends, so a reload never breaks a running exchange.
/// </summary>
internal sealed class FarmTransport : IDisposable
{
    /// <summary>Idle connections older than this are closed (as SocketsHttpHandler's PooledConnectionIdleTimeout).</summary>
    private static readonly TimeSpan IdleConnectionTimeout = TimeSpan.FromSeconds(60);

    private readonly Lock _poolsLock = new();
    private readonly List<Http1ConnectionPool> _pools = [];
    private readonly ILogger? _transportLogger;
    private readonly TimeSpan _connectTimeout;
    private Timer? _sweeper;
    private int _active;
    private int _retired;
    private HttpMessageInvoker? _invoker;
    private int _disposed;

    /// <param name="useEpoll">The direct path's connections use the epoll transport (restart-only, so never a reason to rebuild).</param>
    /// <param name="tls">How https servers' certificates are checked (null: against the system's trusted roots).</param>
    /// <param name="transportLogger">Where the epoll transport reports failures of the direct path's connections.</param>
    public FarmTransport(FarmOptions options, bool useEpoll = false, UpstreamTls? tls = null, ILogger? transportLogger = null)
    {
        UsesEpoll = useEpoll;
        Tls = tls ?? UpstreamTls.SystemRoots;
        _transportLogger = transportLogger;
        Timeouts = options.Timeouts;
        HttpVersion = options.HttpVersion;
        Version = options.HttpVersion is "2" or "2.0" ? System.Net.HttpVersion.Version20 : System.Net.HttpVersion.Version11;
        _connectTimeout = options.Timeouts.Connect;
    }

    /// <summary>True when the farm talks HTTP/1.1 to its servers (the direct path's protocol).</summary>
    public bool IsHttp11 => ReferenceEquals(Version, System.Net.HttpVersion.Version11);

    /// <summary>
    /// The SocketsHttpHandler path's client (https servers, HTTP/2 farms, requests with bodies, upgrades), made by the
    /// first request that needs it: a plain-HTTP farm whose requests all take the direct path never builds it (its
    /// pool, its TLS options and the code behind them stay untouched; measured in docs/benchmarks.md).
    /// </summary>
    public HttpMessageInvoker Invoker => Volatile.Read(ref _invoker) ?? CreateInvoker();

    /// <summary>How this farm checks https servers' certificates.</summary>
    public UpstreamTls Tls { get; }

    /// <summary>The direct path opens its server connections on the epoll transport.</summary>
    public bool UsesEpoll { get; }

    public Version Version { get; }

    public TimeoutOptions Timeouts { get; }

    public string HttpVersion { get; }

    /// <summary>
    /// The direct path's pool for <paramref name="server"/>: cached on the server, replaced when the server's
    /// address changed or the pool belongs to an older transport (a reload).
    /// </summary>
    public Http1ConnectionPool GetHttp1Pool(ServerRuntime server)
    {
        var pool = Volatile.Read(ref server.Http1Pool);
        return Serves(pool, server.BaseAddress) ? pool! : CreatePool(server);
    }

    /// <summary>Total idle connections across this transport's pools (for tests and diagnostics).</summary>
    public int IdleHttp1Connections
    {
        get
        {
            var total = 0;
            lock (_poolsLock)
            {
                foreach (var pool in _pools)
                {
                    total += pool.IdleCount;
                }
            }

            return total;
        }
    }

    /// <summary>True when <paramref name="options"/> and <paramref name="tls"/> need no new transport.</summary>
    public bool Matches(FarmOptions options, UpstreamTls tls)
        => options.Timeouts == Timeouts && options.HttpVersion == HttpVersion && tls.Fingerprint == Tls.Fingerprint;

    /// <summary>
    /// Takes a use of this transport; false when it was retired meanwhile (a reload replaced it), in which case
    /// the caller takes the farm's current transport instead. Increment-then-check pairs with Retire's
    /// set-then-check so that a transport is never disposed under a request that acquired it.
    /// </summary>
    public bool TryAcquire()
    {
        Interlocked.Increment(ref _active);
        if (Volatile.Read(ref _retired) != 0)
        {
            Release();
            return false;
        }

        return true;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _active) == 0 && Volatile.Read(ref _retired) != 0)
        {
            Dispose();
        }
    }

    /// <summary>No new request will use this transport; dispose it once the running ones end.</summary>
    public void Retire()
    {
        Interlocked.Exchange(ref _retired, 1);
        if (Volatile.Read(ref _active) == 0)
        {
            Dispose();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            lock (_poolsLock)
            {
                _sweeper?.Dispose();
                foreach (var pool in _pools)
                {
                    pool.Dispose();
                }

                _pools.Clear();
                _invoker?.Dispose();
            }
        }
    }

    private HttpMessageInvoker CreateInvoker()
    {
        lock (_poolsLock)
        {
            if (_invoker is { } made)
            {
                return made;
            }

            var handler = new SocketsHttpHandler
            {
                UseProxy = false,
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.None,
                UseCookies = false,
                ConnectTimeout = _connectTimeout,
                PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
                PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
                EnableMultipleHttp2Connections = true,

                // The forwarder adds no tracing headers of its own; the client's pass through untouched.
                ActivityHeadersPropagator = null,

                // Kestrel reads header values as Latin-1 (BalancerHost); written back the same way they are the client's
                // bytes. The default refuses anything but ASCII, which turned a client's obs-text into a "server failure".
                RequestHeaderEncodingSelector = static (_, _) => System.Text.Encoding.Latin1,
                Expect100ContinueTimeout = TimeSpan.FromSeconds(1),

                // https servers only (the direct path carries http:// servers): the farm's trust, one rule with its health checks.
                SslOptions = Tls.ClientOptions(),
            };
            var invoker = new HttpMessageInvoker(handler, disposeHandler: true);
            if (Volatile.Read(ref _disposed) != 0)
            {
                // Retired and disposed meanwhile: the caller's request fails as it would on a disposed handler.
                invoker.Dispose();
                return invoker;
            }

            Volatile.Write(ref _invoker, invoker);
            return invoker;
        }
    }

    private Http1ConnectionPool CreatePool(ServerRuntime server)
    {
        lock (_poolsLock)
        {
            var current = Volatile.Read(ref server.Http1Pool);
            var address = server.BaseAddress;
            if (Serves(current, address))
            {
                return current!;
            }

            if (current is not null && ReferenceEquals(current.Owner, this))
            {
                // The server moved: its old connections go to the old address.
                _pools.Remove(current);
                current.Dispose();
            }

            var pool = new Http1ConnectionPool(this, address, new Uri(address), UsesEpoll, _transportLogger);
            if (Volatile.Read(ref _disposed) != 0)
            {
                pool.Dispose();
            }
            else
            {
                _pools.Add(pool);
                _sweeper ??= new Timer(static s => ((FarmTransport)s!).Sweep(), this, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
            }

            Volatile.Write(ref server.Http1Pool, pool);
            return pool;
        }
    }

    /// <summary>True when <paramref name="pool"/> is this transport's pool for <paramref name="address"/>.</summary>
    private bool Serves(Http1ConnectionPool? pool, string address) =>
        pool is not null && ReferenceEquals(pool.Owner, this) && string.Equals(pool.BaseAddress, address, StringComparison.Ordinal);

    private void Sweep()
    {
        Http1ConnectionPool[] pools;
        lock (_poolsLock)
        {
            pools = [.. _pools];
        }

        foreach (var pool in pools)
        {
            pool.Sweep(IdleConnectionTimeout);
        }
    }
}
