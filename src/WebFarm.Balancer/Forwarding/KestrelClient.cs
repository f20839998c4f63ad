using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using WebFarm.Balancer.Affinity;
using WebFarm.Balancer.Async;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Forwarding.Http1;
using WebFarm.Balancer.LoadBalancing;
using WebFarm.Balancer.Pipeline;

namespace WebFarm.Balancer.Forwarding;

/// <summary>
/// The request pipeline's client adapter for a request Kestrel parsed (<see cref="HttpForwarder"/> makes one per
/// request): its facts come from the <see cref="HttpContext"/>, its response is Kestrel's, and its attempts take the
/// direct HTTP/1.1 path or SocketsHttpHandler as <see cref="ServingDecision"/> says.
/// </summary>
internal readonly struct KestrelClient : IClientAdapter
{
    private readonly HttpContext _context;
    private readonly HandlerForwarder _handler;
    private readonly IHttpUpgradeFeature? _upgrade;
    private readonly byte[]? _buffered;
    private readonly int _bufferedLength;
    private readonly bool _hasBody;

    /// <param name="upgrade">The upgrade to forward (a WebSocket), or null for a plain request.</param>
    /// <param name="buffered">The body read up front so that it can be replayed, or null.</param>
    public KestrelClient(HttpContext context, HandlerForwarder handler, IHttpUpgradeFeature? upgrade, bool hasBody, bool idempotent, byte[]? buffered, int bufferedLength)
    {
        _context = context;
        _handler = handler;
        _upgrade = upgrade;
        _hasBody = hasBody;
        IsIdempotent = idempotent;
        _buffered = buffered;
        _bufferedLength = bufferedLength;
    }

    public bool IsIdempotent { get; }

    public bool CanReplayBody => !_hasBody || _buffered is not null;

    public CancellationToken ClientGone => _context.RequestAborted;

    public bool HasStarted => _context.Response.HasStarted;

    public IPAddress? RemoteAddress => new HttpContextAffinityClient(_context).RemoteAddress;

    public bool IsHttps => _context.Request.IsHttps;

    /// <summary>RFC 9110 9.2.2: the methods a request may be sent again with.</summary>
    public static bool IsIdempotentMethod(string method)
        => HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method)
            || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method) || HttpMethods.IsTrace(method);

    public int CopyCookie(string name, Span<char> destination) => new HttpContextAffinityClient(_context).CopyCookie(name, destination);

    public void SetAffinityCookie(string setCookie) => new HttpContextAffinityClient(_context).SetAffinityCookie(setCookie);

    public ServerRuntime? Choose(ILoadBalancingPolicy policy, ReadOnlySpan<ServerRuntime> candidates) => policy.Choose(_context, candidates);

    public ValueTask<AttemptResult> AttemptAsync(Http1Forwarder direct, AttemptRequest request)
    {
        if (ServingDecision.UsesDirectPath(request.View, request.Server, _hasBody, _upgrade is not null))
        {
            return AttemptDirectAsync(direct, request);
        }

        return new(_handler.AttemptAsync(_context, request.Snapshot, request.Route, request.View, request.Server, request.RequestId, _buffered, _bufferedLength, _hasBody, _upgrade, request.Exchange));
    }

    public ValueTask WriteErrorAsync(int statusCode, string message, string requestId, bool retryAfter = false)
        => new(KestrelResponses.WriteErrorAsync(_context, statusCode, message, requestId, retryAfter));

    public void Abort() => KestrelResponses.Abort(_context);

    public void LogAccess(AccessLog log, string farm, string server, string requestId, double elapsedMilliseconds)
        => WriteAccessLog(_context, log, farm, server, requestId, elapsedMilliseconds);

    /// <summary>The access-log line of a request Kestrel parsed (also for the requests no route matched).</summary>
    public static void WriteAccessLog(HttpContext context, AccessLog log, string farm, string server, string requestId, double elapsedMilliseconds)
    {
        var request = context.Request;
        log.Write(
            context.Connection.RemoteIpAddress,
            request.Method,
            request.Host.Value,
            request.Path.Value + request.QueryString.Value,
            request.Protocol,
            context.Response.StatusCode,
            farm,
            server,
            elapsedMilliseconds,
            requestId);
    }

    /// <summary>The direct path with the request head written from the <see cref="HttpContext"/>.</summary>
    [AsyncMethodBuilder(typeof(PooledValueTaskMethodBuilder<>))]
    private async ValueTask<AttemptResult> AttemptDirectAsync(Http1Forwarder direct, AttemptRequest r)
    {
        var pool = r.Transport.GetHttp1Pool(r.Server);
        var request = _context.Request;
        var host = r.View.Options.PreserveHost && request.Host.HasValue ? request.Host.Value : pool.HostHeader;
        using var head = Http1RequestHead.Create(_context, pool.PathPrefix, UpstreamTarget.Build(_context, r.Route), host, r.Snapshot.TrustedProxies, r.RequestId);
        return await direct.AttemptAsync(new KestrelResponseTarget(_context), pool, head.Bytes, HttpMethods.IsHead(request.Method), r.Route.Farm, r.View, r.Server, r.RequestId, r.Exchange).ConfigureAwait(false);
    }
}
