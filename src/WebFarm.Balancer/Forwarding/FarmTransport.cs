using System.Net;
using WebFarm.Balancer.Configuration;

namespace WebFarm.Balancer.Forwarding;

/// <summary>
/// The outgoing side of a farm: one SocketsHttpHandler (one connection pool) with the farm's timeouts and
/// HTTP version. A reload that changes those builds a new transport; the old one is retired and disposed only
/// when its last in-flight request ends, so a reload never breaks a running exchange.
/// </summary>
internal sealed class FarmTransport : IDisposable
{
    private int _active;
    private int _retired;
    private int _disposed;

    public FarmTransport(FarmOptions options)
    {
        Timeouts = options.Timeouts;
        HttpVersion = options.HttpVersion;
        Version = options.HttpVersion is "2" or "2.0" ? System.Net.HttpVersion.Version20 : System.Net.HttpVersion.Version11;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = options.Timeouts.Connect,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            EnableMultipleHttp2Connections = true,

            // The forwarder adds no tracing headers of its own; the client's pass through untouched.
            ActivityHeadersPropagator = null,
            Expect100ContinueTimeout = TimeSpan.FromSeconds(1),
        };
        Invoker = new HttpMessageInvoker(handler, disposeHandler: true);
    }

    public HttpMessageInvoker Invoker { get; }

    public Version Version { get; }

    public TimeoutOptions Timeouts { get; }

    public string HttpVersion { get; }

    /// <summary>True when <paramref name="options"/> needs no new transport.</summary>
    public bool Matches(FarmOptions options) => options.Timeouts == Timeouts && options.HttpVersion == HttpVersion;

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
            Invoker.Dispose();
        }
    }
}
