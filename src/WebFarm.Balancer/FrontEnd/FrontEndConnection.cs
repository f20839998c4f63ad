using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Affinity;
using WebFarm.Balancer.Caching;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Forwarding;
using WebFarm.Balancer.Forwarding.Http1;
using WebFarm.Balancer.LoadBalancing;
using WebFarm.Balancer.Pipeline;
using WebFarm.Balancer.Routing;
using WebFarm.Balancer.Transport;

namespace WebFarm.Balancer.FrontEnd;

/// <summary>
/// One client connection on an HTTP/1.1 listener (cleartext, or https after Kestrel's TLS middleware). It reads request heads off the connection's input (on the epoll
/// transport's cleartext listeners the socket itself, <see cref="EpollSocketPipe"/>; else the TLS step's or the
/// transport's pipe) and serves the plain ones itself (keep-alive, pipelined requests in order); at the first request it does not take, it leaves
/// that request's bytes unconsumed and hands the connection to Kestrel's HTTP stack for good. Through
/// <see cref="FrontEndClient"/> it is the request pipeline's client adapter for the requests it serves
/// (<see cref="IClientAdapter"/>) and the <see cref="IHttp1ResponseTarget"/> the direct upstream path writes the
/// server's response to. Between requests it
/// holds no buffer: the head, the upstream head and the response head live in <see cref="RequestBuffers"/> rented for
/// one request, and the input holds no buffer while nothing was received.
/// </summary>
internal sealed partial class FrontEndConnection
{
    private readonly Http1FrontEnd _frontEnd;
    private readonly ConnectionContext _connection;
    private readonly FrontEndListener _listener;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;

    // On the epoll transport's cleartext listeners: the socket itself, read and written with no transport pipes
    // (null: the transport's pipes, on the Sockets engine and after the TLS step).
    private readonly EpollSocketPipe? _direct;
    private readonly byte[] _clientAddress;

    // Heartbeat state: the time (Environment.TickCount64) the current wait for a request head ends, 0 when none runs.
    private long _deadline;
    private int _timedOut;
    private int _closeRequested;

    // The request in progress (null between requests): its head, the head sent upstream and the response head.
    private RequestBuffers? _request;

    // The response in progress. Its head waits in the request's buffers until the first body byte or flush, so that a
    // server failing right after its head still gets the client a clean 502 (nothing of the response went into the
    // pipe yet).
    private byte[]? _pendingHead;
    private int _pendingHeadLength;
    private bool _started;
    private bool _chunked;
    private bool _aborted;

    // The request in progress: the affinity cookie to send with the server's head (null when none), and the status
    // the client was answered with (for the access log; 200 until an answer starts, as Kestrel's default).
    private string? _setCookie;
    private int _status;

    public FrontEndConnection(Http1FrontEnd frontEnd, ConnectionContext connection, FrontEndListener listener)
    {
        _frontEnd = frontEnd;
        _connection = connection;
        _listener = listener;
        _direct = (connection as EpollConnection)?.TakeDirectPipe();
        var transport = (IDuplexPipe?)_direct ?? connection.Transport;
        _input = transport.Input;
        _output = transport.Output;
        var remote = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        if (remote is { IsIPv4MappedToIPv6: true })
        {
            remote = remote.MapToIPv4();
        }

        RemoteAddress = remote;
        _clientAddress = FormatAddress(remote);
    }

    /// <summary>The request in progress (only while one is: see <see cref="RequestBuffers"/>).</summary>
    private ClientRequestHead Head => _request!.Head;

    public IPAddress? RemoteAddress { get; }

    /// <summary>The client's address as X-Forwarded-For gives it, formatted once per connection.</summary>
    public ReadOnlySpan<byte> ClientAddress => _clientAddress;

    /// <summary>Fires when the client closes its connection (the transport saw the end of its input) or the connection is aborted.</summary>
    public CancellationToken ClientGone => _connection.ConnectionClosed;

    /// <summary>This response is the connection's last: the client asked, or the server is stopping.</summary>
    public bool CloseAfterResponse => Head.ConnectionClose || Volatile.Read(ref _closeRequested) != 0;

    public bool HasStarted => _started;

    /// <summary>Every method the front end takes (GET, HEAD, OPTIONS, DELETE) is idempotent.</summary>
    public bool IsIdempotent => true;

    /// <summary>The front end takes no request with a body.</summary>
    public bool CanReplayBody => true;

    /// <summary>Whether the listener is https (the connection's transport is Kestrel's TLS stream).</summary>
    public bool IsHttps => _listener.IsHttps;

    public async Task RunAsync(ConnectionDelegate next)
    {
        var shutdown = _connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested
            .UnsafeRegister(static state => ((FrontEndConnection)state!).RequestClose(), this);
        _frontEnd.Register(this);
        var registered = true;
        try
        {
            while (true)
            {
                ReadOnlySequence<byte> buffer;
                ClientHeadStatus status;
                var partial = false;
                SetDeadline(_frontEnd.KeepAliveTimeout);
                while (true)
                {
                    ReadResult result;
                    try
                    {
                        result = await _input.ReadAsync().ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is ConnectionResetException or IOException or ConnectionAbortedException or OperationCanceledException)
                    {
                        // The client reset the connection (or it was aborted): nothing more to serve.
                        return;
                    }

                    buffer = result.Buffer;
                    if (Volatile.Read(ref _timedOut) != 0 || Volatile.Read(ref _closeRequested) != 0)
                    {
                        // Idle too long, too slow with a head, or the server is stopping: close (a slow head gets a 408 first).
                        if (partial && Volatile.Read(ref _timedOut) != 0)
                        {
                            ClientResponseWriter.WriteRequestTimeout(_output);
                            try
                            {
                                await _output.FlushAsync().ConfigureAwait(false);
                            }
                            catch (Exception)
                            {
                                // The slow client is gone as well.
                            }
                        }

                        _input.AdvanceTo(buffer.End);
                        return;
                    }

                    if (buffer.IsEmpty && result.IsCompleted)
                    {
                        return;
                    }

                    _request ??= _frontEnd.Buffers.Rent();
                    status = Head.Parse(buffer);
                    if (status != ClientHeadStatus.Incomplete)
                    {
                        break;
                    }

                    // Nothing is kept between reads of a partial head: the next read parses it again from its start.
                    ReleaseRequest();

                    if (result.IsCompleted)
                    {
                        // The client closed in the middle of a head: nothing to answer.
                        _input.AdvanceTo(buffer.End);
                        return;
                    }

                    _input.AdvanceTo(buffer.Start, buffer.End);
                    if (!partial)
                    {
                        partial = true;
                        SetDeadline(_frontEnd.RequestHeadersTimeout);
                    }
                }

                SetDeadline(TimeSpan.Zero);
                if (status == ClientHeadStatus.Invalid)
                {
                    // Refused at once and the connection closed: nothing after such a line can be read as a request.
                    _input.AdvanceTo(buffer.End);
                    ClientResponseWriter.WriteError(_output, StatusCodes.Status400BadRequest, ForwardingFailures.Message(ForwardingFailure.InvalidRequestLine), RequestIds.Next(), retryAfter: false, requestWasHead: false, close: true, _listener.HstsLine);
                    try
                    {
                        await _output.FlushAsync().ConfigureAwait(false);
                    }
                    catch (Exception)
                    {
                        // The client is gone as well.
                    }

                    return;
                }

                var answer = FrontEndAnswer.HandOff;
                RuntimeSnapshot snapshot = null!;
                CompiledRoute route = null!;
                FarmView view = null!;
                CachedResponse? hit = null;
                long age = 0;
                if (status == ClientHeadStatus.Complete)
                {
                    answer = _frontEnd.Take(Head, this, out snapshot, out route, out view, out hit, out age);
                }

                if (answer == FrontEndAnswer.HandOff)
                {
                    // Nothing consumed: Kestrel reads this request from the first byte, then the rest of the connection.
                    _input.AdvanceTo(buffer.Start);
                    ReleaseRequest();
                    _frontEnd.Unregister(this);
                    registered = false;

                    // From here Kestrel owns the connection, its shutdown included: our stop callback must not cancel its reads.
                    shutdown?.Dispose();
                    shutdown = null;
                    _frontEnd.Statistics.RecordHandOff();
                    if (_direct is not null)
                    {
                        // The connection's pipes start only now, with the bytes this request arrived in at their front.
                        await _direct.HandBackAsync().ConfigureAwait(false);
                    }

                    // Kestrel reads the rest of the connection through a tap that records each request head, so the
                    // Kestrel path applies the byte-level request rules as well (HttpForwarder, RequestHeadScreen).
                    var tap = new RawHeadTap(_connection.Transport);
                    _connection.Transport = tap;
                    _connection.Features.Set(tap);
                    await next(_connection).ConfigureAwait(false);
                    return;
                }

                _input.AdvanceTo(buffer.GetPosition(Head.Length));
                _frontEnd.Statistics.RecordRequest();
                if (answer == FrontEndAnswer.CacheHit)
                {
                    var served = await AnswerFromCacheAsync(snapshot, route, hit!, age).ConfigureAwait(false);
                    ReleaseRequest();
                    if (!served)
                    {
                        return;
                    }

                    continue;
                }

                // The request's arrival time is read only by the access log (its duration field): without it, the
                // attempt's own start and end (Http1Forwarder) are the only clock reads of a request.
                var start = _frontEnd.Pipeline.AccessLog.IsOn(snapshot) ? Stopwatch.GetTimestamp() : 0;
                _started = false;
                _chunked = false;
                _pendingHeadLength = 0;
                _setCookie = null;
                _status = StatusCodes.Status200OK;
                try
                {
                    await _frontEnd.Pipeline.ServeAsync(new FrontEndClient(this), snapshot, route, view, RequestIds.Next(), start).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    // A bug, not bad input (that is refused or handed off): lose this connection, never the listener. Its
                    // buffers are not reused, since whatever failed may still hold them.
                    Log.ServeFailed(_frontEnd.Logger, ex);
                    _frontEnd.Buffers.Forget();
                    _request = null;
                    Abort();
                    return;
                }

                var close = _aborted || CloseAfterResponse;
                ReleaseRequest();
                if (close)
                {
                    return;
                }
            }
        }
        finally
        {
            ReleaseRequest();
            _direct?.Release();
            shutdown?.Dispose();
            if (registered)
            {
                _frontEnd.Unregister(this);
            }
        }
    }

    /// <summary>
    /// Writes a fresh cached copy (<see cref="FrontEndCacheLookup"/> found it): its pre-rendered head with this
    /// answer's own lines, and its body unless the request is a HEAD. Counted as a hit in the cache's statistics and
    /// the front end's, and logged as Kestrel's path logs a hit (the route's farm, no server). False when the
    /// connection ends here (the client asked to close, the server is stopping, or the client is gone).
    /// </summary>
    private async ValueTask<bool> AnswerFromCacheAsync(RuntimeSnapshot snapshot, CompiledRoute route, CachedResponse entry, long age)
    {
        var start = Stopwatch.GetTimestamp();
        var requestId = RequestIds.Next();
        var close = CloseAfterResponse;
        route.Cache!.Statistics.RecordHit();
        _frontEnd.Statistics.RecordCacheHit();
        ClientResponseWriter.WriteCachedHead(_output, CachedHead.For(entry)!, age, requestId, close);
        if (!Head.IsHead && entry.Body.Length > 0)
        {
            _output.Write(entry.Body);
        }

        _status = entry.Status;
        var accessLog = _frontEnd.Pipeline.AccessLog;
        if (accessLog.IsOn(snapshot))
        {
            LogAccess(accessLog, route.Farm.Name, "-", requestId, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        try
        {
            var flushed = await _output.FlushAsync(ClientGone).ConfigureAwait(false);
            return !close && !flushed.IsCompleted && !flushed.IsCanceled;
        }
        catch (Exception)
        {
            // The client left while its answer was going out.
            return false;
        }
    }

    /// <summary>Called by the front end's heartbeat: ends a wait for a request head that ran past its deadline.</summary>
    public void OnHeartbeat(long now)
    {
        var deadline = Volatile.Read(ref _deadline);
        if (deadline != 0 && now >= deadline && Interlocked.Exchange(ref _timedOut, 1) == 0)
        {
            _input.CancelPendingRead();
        }
    }

    public int CopyCookie(string name, Span<char> destination)
    {
        // The front end takes at most one Cookie line (ClientRequestHead), so the first is the only one.
        for (var i = 0; i < Head.FieldCount; i++)
        {
            var field = Head.Field(i);
            if (Ascii.EqualsIgnoreCase(Head.Name(field), "Cookie"u8))
            {
                return CookieHeader.Find(Head.Value(field), name, destination);
            }
        }

        return -1;
    }

    public void SetAffinityCookie(string setCookie) => _setCookie = setCookie;

    /// <summary>
    /// The front end takes only farms whose policy ignores the request or reads it through <see cref="IPolicyRequest"/>
    /// (<see cref="ServingDecision.FrontEndServes"/>); a policy that reads the request reads the parsed head.
    /// </summary>
    public ServerRuntime? Choose(ILoadBalancingPolicy policy, ReadOnlySpan<ServerRuntime> candidates)
        => policy is IRequestReadingPolicy reading
            ? reading.Choose(new ClientPolicyView(Head, RemoteAddress), candidates)
            : ((IRequestIndependentPolicy)policy).Choose(candidates);

    /// <summary>Always the direct path: the front end takes only requests <see cref="ServingDecision"/> sends there.</summary>
    public ValueTask<AttemptResult> AttemptAsync(Http1Forwarder direct, AttemptRequest request)
    {
        var trusted = request.Snapshot.TrustedProxies;
        var pool = request.Transport.GetHttp1Pool(request.Server);
        var upstream = _request!.Upstream;
        upstream.Write(Head, pool, request.Route, request.View.Options.PreserveHost, !trusted.IsEmpty && trusted.Contains(RemoteAddress), ClientAddress, _listener.ForwardedProto, request.RequestId);
        return direct.AttemptAsync(new FrontEndClient(this), pool, upstream.Bytes, Head.IsHead, request.Route.Farm, request.View, request.Server, request.RequestId, request.Exchange);
    }

    public void LogAccess(AccessLog log, string farm, string server, string requestId, double elapsedMilliseconds)
    {
        // The path needs no decoding (ClientRequestHead takes no '%' in it), so the raw target is what Kestrel logs
        // as path and query.
        log.Write(
            RemoteAddress,
            Encoding.ASCII.GetString(Head.Method),
            Encoding.Latin1.GetString(Head.Value(Head.Field(Head.HostField))),
            Encoding.ASCII.GetString(Head.Target),
            "HTTP/1.1",
            _status,
            farm,
            server,
            elapsedMilliseconds,
            requestId);
    }

    public void StartResponse(ReadOnlySpan<byte> data, in Http1ResponseHead head, Http1ConnectionPool pool, string requestId)
    {
        _pendingHead = _request!.ResponseHead(ClientResponseWriter.HeadCapacity(head.Length, requestId, _setCookie, _listener.HstsLine));
        _status = head.StatusCode;
        _chunked = ClientResponseWriter.WriteHead(_pendingHead, out _pendingHeadLength, data, head, Head.IsHead, CloseAfterResponse, requestId, _setCookie, _listener.HstsLine);
    }

    public void Write(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            return;
        }

        CommitHead();

        if (_chunked)
        {
            ClientResponseWriter.WriteChunk(_output, body);
        }
        else
        {
            _output.Write(body);
        }
    }

    public ValueTask<bool> FlushAsync(ExchangeCancellation exchange)
    {
        CommitHead();
        return ResponseFlush.FlushAsync(_output, exchange);
    }

    public ValueTask<bool> CompleteAsync(ExchangeCancellation exchange)
    {
        CommitHead();
        if (_chunked)
        {
            _output.Write("0\r\n\r\n"u8);
        }

        return FlushAsync(exchange);
    }

    public async ValueTask WriteErrorAsync(int statusCode, string message, string requestId, bool retryAfter = false)
    {
        if (_started)
        {
            Abort();
            return;
        }

        // A server head still pending is dropped: the client gets the error instead.
        _pendingHeadLength = 0;
        _started = true;
        _status = statusCode;
        ClientResponseWriter.WriteError(_output, statusCode, message, requestId, retryAfter, Head.IsHead, CloseAfterResponse, _listener.HstsLine);
        try
        {
            await _output.FlushAsync(ClientGone).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The client left while we were telling it what went wrong.
            Abort();
        }
    }

    public void Abort()
    {
        if (!_aborted)
        {
            _aborted = true;
            _connection.Abort(new ConnectionAbortedException("WebFarm: the response could not be completed."));
        }
    }

    private void CommitHead()
    {
        if (_pendingHeadLength > 0)
        {
            _started = true;
            _output.Write(_pendingHead!.AsSpan(0, _pendingHeadLength));
            _pendingHeadLength = 0;
        }
    }

    /// <summary>Gives the request's buffers back (nothing refers to them once its response is done or it was handed off).</summary>
    private void ReleaseRequest()
    {
        if (_request is not null)
        {
            _pendingHead = null;
            _frontEnd.Buffers.Return(_request);
            _request = null;
        }
    }

    private void RequestClose()
    {
        Volatile.Write(ref _closeRequested, 1);
        _input.CancelPendingRead();
    }

    private void SetDeadline(TimeSpan timeout) =>
        Volatile.Write(ref _deadline, timeout == TimeSpan.Zero ? 0 : Environment.TickCount64 + (long)timeout.TotalMilliseconds);

    private static byte[] FormatAddress(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown"u8.ToArray();
        }

        Span<byte> buffer = stackalloc byte[64];
        return address.TryFormat(buffer, out var written) ? buffer[..written].ToArray() : "unknown"u8.ToArray();
    }
}
