using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Caching;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Pipeline;
using WebFarm.Balancer.Routing;
using WebFarm.Balancer.Tls;

namespace WebFarm.Balancer.FrontEnd;

/// <summary>
/// The HTTP/1.1 front end: a Kestrel connection middleware on HTTP/1.1 listeners (cleartext, or https after Kestrel's TLS
/// middleware) that serves plain requests itself
/// and hands every other connection to Kestrel's HTTP stack (docs/architecture.md, "The HTTP/1.1 front end"). Kestrel's
/// HTTP layer was the largest cost left per request (docs/benchmarks.md); the front end reads a request head off the
/// transport, forwards it on the direct upstream path and writes the server's response back, with no HttpContext,
/// header dictionaries or strings per header. A once-a-second heartbeat enforces its keep-alive and head timeouts
/// (Kestrel's own, which no longer see these connections) and refreshes the Date line.
/// </summary>
internal sealed class Http1FrontEnd : IDisposable
{
    private readonly ConcurrentDictionary<FrontEndConnection, byte> _connections = new();
    private readonly Timer _heartbeat;
    private readonly BalancerRuntime _runtime;

    public Http1FrontEnd(RequestPipeline pipeline, TimeSpan keepAliveTimeout, TimeSpan requestHeadersTimeout)
    {
        Pipeline = pipeline;
        _runtime = pipeline.Runtime;
        Statistics = _runtime.FrontEnd;
        KeepAliveTimeout = keepAliveTimeout;
        RequestHeadersTimeout = requestHeadersTimeout;
        Logger = pipeline.Logger;
        _heartbeat = new Timer(static state => ((Http1FrontEnd)state!).OnHeartbeat(), this, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>The request pipeline the front end's connections hand their requests to (shared with Kestrel's path).</summary>
    public RequestPipeline Pipeline { get; }

    public ILogger Logger { get; }

    public FrontEndStatistics Statistics { get; }

    /// <summary>The buffers a connection rents for one request (none are held by idle connections).</summary>
    public RequestBufferPool Buffers { get; } = new();

    /// <summary>How long a connection may wait for its next request.</summary>
    public TimeSpan KeepAliveTimeout { get; }

    /// <summary>How long a client may take to complete a request head it started.</summary>
    public TimeSpan RequestHeadersTimeout { get; }

    /// <summary>
    /// How the front end answers this request: forwarded when a route matches and <see cref="ServingDecision.FrontEndServes"/>
    /// says so for its farm; from the route's cache when <see cref="ServingDecision.FrontEndAnswersFromCache"/> allows
    /// it and <see cref="FrontEndCacheLookup"/> finds a fresh copy (<paramref name="hit"/>, <paramref name="age"/>); else
    /// handed to Kestrel (which also answers requests no route matches, and every cache miss).
    /// </summary>
    public FrontEndAnswer Take(ClientRequestHead head, FrontEndConnection connection, out RuntimeSnapshot snapshot, out CompiledRoute route, out FarmView view, out CachedResponse? hit, out long age)
    {
        snapshot = _runtime.Snapshot;
        route = null!;
        view = null!;
        hit = null;
        age = 0;
        if (!snapshot.Config.Http1FrontEnd)
        {
            return FrontEndAnswer.HandOff;
        }

        var match = snapshot.Routes.Match(new ClientRouteView(head));
        if (match is null)
        {
            return FrontEndAnswer.HandOff;
        }

        view = match.Farm.View;
        route = match;
        if (ServingDecision.FrontEndAnswersFromCache(snapshot.Config, match))
        {
            hit = FrontEndCacheLookup.Find(head, match.Cache!, connection, out age);
            return hit is null ? FrontEndAnswer.HandOff : FrontEndAnswer.CacheHit;
        }

        return ServingDecision.FrontEndServes(snapshot.Config, match, view) ? FrontEndAnswer.Forward : FrontEndAnswer.HandOff;
    }

    /// <summary>The middleware for a cleartext listener's connection pipeline.</summary>
    public ConnectionDelegate Wrap(ConnectionDelegate next) => connection => new FrontEndConnection(this, connection, FrontEndListener.Cleartext).RunAsync(next);

    /// <summary>
    /// The middleware for an https listener's connection pipeline, after Kestrel's TLS middleware: connections that
    /// negotiated http/1.1 (or no ALPN) are the front end's, h2 ones go straight to Kestrel's HTTP/2 stack.
    /// <paramref name="policy"/> is the listener's HSTS (null: none).
    /// </summary>
    public Func<ConnectionDelegate, ConnectionDelegate> WrapHttps(ListenerPolicy? policy)
    {
        var listener = FrontEndListener.Https(policy);
        return next => connection => FrontEndListener.NegotiatedHttp1(connection)
            ? new FrontEndConnection(this, connection, listener).RunAsync(next)
            : next(connection);
    }

    public void Register(FrontEndConnection connection) => _connections.TryAdd(connection, 0);

    public void Unregister(FrontEndConnection connection) => _connections.TryRemove(connection, out _);

    public void Dispose() => _heartbeat.Dispose();

    private void OnHeartbeat()
    {
        ClientResponseWriter.UpdateDate(DateTimeOffset.UtcNow);
        var now = Environment.TickCount64;
        foreach (var connection in _connections.Keys)
        {
            connection.OnHeartbeat(now);
        }
    }
}
