using System.Net;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Forwarding;
using WebFarm.Balancer.Forwarding.Http1;
using WebFarm.Balancer.LoadBalancing;
using WebFarm.Balancer.Pipeline;

namespace WebFarm.Balancer.FrontEnd;

/// <summary>
/// The front end's client adapter (<see cref="IClientAdapter"/>) and response target (<see cref="IHttp1ResponseTarget"/>):
/// a struct around the <see cref="FrontEndConnection"/> that forwards every member to it. Why a struct: the request
/// pipeline and the direct path are generic over these interfaces, and for a class argument the JIT compiles one
/// shared instantiation (<c>__Canon</c>) in which every call on the adapter is an interface dispatch through a stub and
/// a generic dictionary lookup; for a struct it compiles code of its own with direct (inlinable) calls, as it does for
/// <see cref="KestrelClient"/>. The shared code of <c>RequestPipeline.RunAsync</c>, <c>Http1Forwarder.ExchangeAsync</c>,
/// the dispatch stubs and cast helpers were about 2.5% of the plain benchmark's CPU (perf, docs/benchmarks.md).
/// </summary>
internal readonly struct FrontEndClient(FrontEndConnection connection) : IClientAdapter, IHttp1ResponseTarget
{
    public IPAddress? RemoteAddress => connection.RemoteAddress;

    public bool IsHttps => connection.IsHttps;

    public bool IsIdempotent => connection.IsIdempotent;

    public bool CanReplayBody => connection.CanReplayBody;

    public CancellationToken ClientGone => connection.ClientGone;

    public bool HasStarted => connection.HasStarted;

    public int CopyCookie(string name, Span<char> destination) => connection.CopyCookie(name, destination);

    public void SetAffinityCookie(string setCookie) => connection.SetAffinityCookie(setCookie);

    public ServerRuntime? Choose(ILoadBalancingPolicy policy, ReadOnlySpan<ServerRuntime> candidates) => connection.Choose(policy, candidates);

    public ValueTask<AttemptResult> AttemptAsync(Http1Forwarder direct, AttemptRequest request) => connection.AttemptAsync(direct, request);

    public ValueTask WriteErrorAsync(int statusCode, string message, string requestId, bool retryAfter = false)
        => connection.WriteErrorAsync(statusCode, message, requestId, retryAfter);

    public void Abort() => connection.Abort();

    public void LogAccess(AccessLog log, string farm, string server, string requestId, double elapsedMilliseconds)
        => connection.LogAccess(log, farm, server, requestId, elapsedMilliseconds);

    public void StartResponse(ReadOnlySpan<byte> data, in Http1ResponseHead head, Http1ConnectionPool pool, string requestId)
        => connection.StartResponse(data, head, pool, requestId);

    public void Write(ReadOnlySpan<byte> body) => connection.Write(body);

    public ValueTask<bool> FlushAsync(ExchangeCancellation exchange) => connection.FlushAsync(exchange);

    public void AddTrailer(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        // Like Kestrel's HTTP/1.1 responses: trailers are not relayed to HTTP/1.1 clients.
    }

    public ValueTask<bool> CompleteAsync(ExchangeCancellation exchange) => connection.CompleteAsync(exchange);
}
