using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using WebFarm.Balancer.Affinity;
using WebFarm.Balancer.Async;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Events;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Forwarding.Headers;
using WebFarm.Balancer.LoadBalancing;
using WebFarm.Balancer.Routing;

namespace WebFarm.Balancer.Forwarding;

/// <summary>
/// The request path: route, choose a server (affinity, then policy), respect its concurrency limit, forward
/// with streaming bodies both ways, retry what is safe to retry, map failures to 502/503/504, and record
/// statistics and passive-health outcomes. One instance serves every request; all per-request state is local.
/// </summary>
internal sealed class HttpForwarder
{
    internal const string RequestIdHeader = "X-Request-Id";
    internal const string OriginalRequestIdHeader = "X-Original-Request-Id";
    private const int Http2InternalError = 2;
    private const int TunnelBufferSize = 16 * 1024;

    private readonly BalancerRuntime _runtime;
    private readonly Http1.Http1Forwarder _http1;
    private readonly ILogger _logger;
    private readonly ILogger _accessLog;

    public HttpForwarder(BalancerRuntime runtime, ILoggerFactory loggerFactory)
    {
        _runtime = runtime;
        _logger = loggerFactory.CreateLogger("WebFarm.Forwarder");
        _http1 = new Http1.Http1Forwarder(_logger);
        _accessLog = loggerFactory.CreateLogger("WebFarm.AccessLog");
    }

    public Task InvokeAsync(HttpContext context)
    {
        var snapshot = _runtime.Snapshot;
        var requestId = RequestIds.Next();
        context.Response.Headers[RequestIdHeader] = requestId;
        var start = Stopwatch.GetTimestamp();
        var refused = Screen(context);
        if (refused != ForwardingFailure.None)
        {
            var description = ForwardingFailures.Describe(refused);
            _logger.Log(description.Level, "Request {RequestId} refused ({Failure}): {Reason}", requestId, refused, description.Reason);
            return WriteFailureAsync(context, refused, requestId);
        }

        var route = snapshot.Routes.Match(context.Request);
        if (snapshot.Config.AccessLog && _accessLog.IsEnabled(LogLevel.Information))
        {
            return InvokeWithAccessLogAsync(context, snapshot, route, requestId, start);
        }

        if (route is null)
        {
            return WriteNoRouteAsync(context, requestId);
        }

        // Not an async method itself: one wrapper object per request instead of a state machine box.
        var forwarding = ForwardAsync(context, snapshot, route, requestId, start);
        if (forwarding.IsCompletedSuccessfully)
        {
            _ = forwarding.Result; // Reading the result hands a pooled box back.
            return Task.CompletedTask;
        }

        return forwarding.AsTask();
    }

    private async Task InvokeWithAccessLogAsync(HttpContext context, RuntimeSnapshot snapshot, CompiledRoute? route, string requestId, long start)
    {
        ServerRuntime? server = null;
        try
        {
            if (route is null)
            {
                await WriteNoRouteAsync(context, requestId).ConfigureAwait(false);
                return;
            }

            server = await ForwardAsync(context, snapshot, route, requestId, start).ConfigureAwait(false);
        }
        finally
        {
            WriteAccessLog(context, route, server, requestId, start);
        }
    }

    /// <summary>
    /// The request rules of issue 13 for what Kestrel accepted: HTTP/1.1 heads are screened as raw bytes
    /// (<see cref="RequestHeadScreen"/>, the front end's tap recorded them), so the Kestrel path refuses exactly what
    /// the rules refuse; HTTP/2 requests have no such head, and CONNECT is refused on every version.
    /// </summary>
    private static ForwardingFailure Screen(HttpContext context)
    {
        var failure = RequestHeadScreen.ScreenTarget(context.Request.Method, context.Features.Get<IHttpRequestFeature>()?.RawTarget);
        if (context.Features.Get<FrontEnd.RawHeadTap>() is { } tap)
        {
            var head = tap.TakeHead();
            context.Response.RegisterForDispose(tap);
            if (failure == ForwardingFailure.None && !head.IsEmpty)
            {
                failure = RequestHeadScreen.ScreenFields(head, out var connection);
                tap.Connection = connection;
            }
        }

        return failure;
    }

    /// <summary>Answers a failure of the client's request (never counted against a server) and closes the connection.</summary>
    internal static Task WriteFailureAsync(HttpContext context, ForwardingFailure failure, string requestId)
    {
        var description = ForwardingFailures.Describe(failure);

        // The body that may follow a refused head is not read: nothing after it can be trusted to be a request.
        return WriteErrorAsync(
            context,
            description.Status,
            ForwardingFailures.Message(failure),
            requestId,
            connectionClose: true,
            allow: description.Status == StatusCodes.Status405MethodNotAllowed ? ForwardingFailures.AllowedMethods : null);
    }

    private static Task WriteNoRouteAsync(HttpContext context, string requestId) =>
        WriteErrorAsync(context, StatusCodes.Status404NotFound, $"WebFarm: no route for host '{context.Request.Host.Host}' and path '{context.Request.Path}'", requestId);

    // Pooled: the state machine of every request would otherwise be a fresh heap object (see docs/benchmarks.md).
    [AsyncMethodBuilder(typeof(PooledValueTaskMethodBuilder<>))]
    private async ValueTask<ServerRuntime?> ForwardAsync(HttpContext context, RuntimeSnapshot snapshot, CompiledRoute route, string requestId, long start)
    {
        var farm = route.Farm;
        var view = farm.View;
        var upgradeFeature = context.Features.Get<IHttpUpgradeFeature>();
        // An h2c upgrade is never forwarded: a server accepting it would open a tunnel past the balancer's routing and
        // rules (h2c smuggling). It goes as a plain request; Upgrade and HTTP2-Settings are hop-by-hop and stay behind.
        var isUpgrade = upgradeFeature is { IsUpgradableRequest: true } && !HeaderNames.ListContains(context.Request.Headers.Upgrade.ToString(), "h2c");
        var hasBody = !isUpgrade && (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? true);
        var method = context.Request.Method;
        var idempotent = HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method)
            || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method) || HttpMethods.IsTrace(method);
        var maxAttempts = view.Options.Retries.MaxAttempts;

        if (IsAsteriskForm(context) && (hasBody || !view.Transport.IsHttp11 || !view.Options.DirectHttp1 || !view.AllServersCleartext))
        {
            // "OPTIONS *" goes out in asterisk form on the direct path only: HttpClient has no way to send it.
            await WriteFailureAsync(context, ForwardingFailure.UnsendableRequest, requestId).ConfigureAwait(false);
            return null;
        }

        byte[]? buffered = null;
        var bufferedLength = 0;
        ServerRuntime? server = null;
        try
        {
            // Small idempotent bodies are read up front so that a failed attempt can be replayed elsewhere.
            if (hasBody && idempotent && maxAttempts > 1 && context.Request.ContentLength is long length && length <= view.Options.Retries.MaxBufferedBody)
            {
                bufferedLength = (int)length;
                buffered = ArrayPool<byte>.Shared.Rent(Math.Max(bufferedLength, 1));
                try
                {
                    await context.Request.Body.ReadExactlyAsync(buffered.AsMemory(0, bufferedLength), context.RequestAborted).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    await OnClientBodyErrorAsync(context, farm, ex, requestId).ConfigureAwait(false);
                    return null;
                }
            }

            var lookup = AffinityLookup.Unbound;
            var lastFailure = default(AttemptResult);
            ServerRuntime?[]? tried = null;
            for (var attempt = 1; ; attempt++)
            {
                server = null;
                if (attempt == 1 && view.Affinity is { } affinity)
                {
                    lookup = affinity.Lookup(context, view.Servers);
                    if (lookup.Outcome is AffinityOutcome.Redistribute or AffinityOutcome.Reject
                        && lookup.Server is { State: ServerState.Online, Weight: > 0 } && farm.EvaluatePanic(view, _runtime.Events))
                    {
                        // In panic every online server takes traffic, healthy or not: the binding stays valid rather
                        // than moving the client (and raising an event) on every request.
                        lookup = new AffinityLookup(AffinityOutcome.Bound, lookup.Server);
                    }

                    if (lookup.Outcome == AffinityOutcome.Bound)
                    {
                        server = lookup.Server;
                    }
                    else if (lookup.Outcome == AffinityOutcome.Reject)
                    {
                        farm.Statistics.RecordNoServerAvailable();
                        await WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, $"WebFarm: the server this client is bound to ('{lookup.Server?.Name}') is not available in farm '{farm.Name}'", requestId, retryAfter: true).ConfigureAwait(false);
                        return lookup.Server;
                    }
                }

                server ??= farm.Choose(view, tried, _runtime.Events, new RequestChooser(view.Policy, context));
                if (server is null)
                {
                    if (tried is null)
                    {
                        farm.Statistics.RecordNoServerAvailable();
                        await WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, $"WebFarm: no available server in farm '{farm.Name}'", requestId, retryAfter: true).ConfigureAwait(false);
                        return null;
                    }

                    // Every candidate already failed this request.
                    break;
                }

                if (view.Affinity is { } binder && (attempt > 1 || lookup.Outcome != AffinityOutcome.Bound))
                {
                    binder.Bind(context, server, lookup);
                    if (attempt == 1 && lookup.Outcome == AffinityOutcome.Redistribute)
                    {
                        _runtime.Events.Publish(farm.Name, server.Name, EventKind.AffinityRedistributed, $"client bound to {lookup.Server?.Name ?? "an unavailable server"} moved to {server.Name}");
                    }
                }

                var gate = server.Gate;
                if (gate is not null)
                {
                    var limits = view.Options.Limits;
                    var entered = await gate.EnterAsync(limits.QueueLength, limits.QueueTimeout, context.RequestAborted).ConfigureAwait(false);
                    if (entered != GateResult.Entered)
                    {
                        if (entered == GateResult.Canceled)
                        {
                            farm.Statistics.RecordClientAbort();
                            return server;
                        }

                        farm.Statistics.RecordQueueRejection();
                        await WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, AttemptLease.GateRejection(server, gate, farm, limits, entered), requestId, retryAfter: true).ConfigureAwait(false);
                        return server;
                    }
                }

                if (!AttemptLease.TryBegin(farm, ref view, server, gate, context.RequestAborted, out var lease))
                {
                    // A reload removed the farm while this request held its old view (docs/architecture.md, invariant 3).
                    gate?.Release();
                    var removed = ForwardingFailures.Describe(ForwardingFailure.FarmRemoved);
                    _logger.Log(removed.Level, "Request {RequestId}: farm {Farm} was removed by a configuration reload while the request waited for it; answered 503", requestId, farm.Name);
                    await WriteErrorAsync(context, removed.Status, ForwardingFailures.Message(ForwardingFailure.FarmRemoved, farm.Name), requestId, retryAfter: true).ConfigureAwait(false);
                    return server;
                }

                AttemptResult result;
                try
                {
                    result = Http1.Http1Forwarder.CanForward(view, server, hasBody, isUpgrade)
                        ? await _http1.AttemptAsync(context, snapshot, route, view, server, requestId, lease.Exchange).ConfigureAwait(false)
                        : await AttemptAsync(context, snapshot, route, view, server, requestId, buffered, bufferedLength, hasBody, isUpgrade ? upgradeFeature : null, lease.Exchange).ConfigureAwait(false);
                }
                finally
                {
                    lease.End(_runtime);
                }

                if (result.Outcome is AttemptOutcome.Done or AttemptOutcome.ClientAborted)
                {
                    return server;
                }

                // Failed before any response byte reached the client. Safe to resend when nothing was sent
                // (connect failure) or when the request is idempotent; either way the body must be replayable.
                var replayable = !hasBody || buffered is not null || !result.BodyStarted;
                var retry = attempt < maxAttempts && replayable && !context.Response.HasStarted
                    && (result.Outcome == AttemptOutcome.ConnectFailed || idempotent);
                if (!retry)
                {
                    await WriteErrorAsync(context, result.StatusCode, result.Message!, requestId).ConfigureAwait(false);
                    return server;
                }

                tried ??= new ServerRuntime?[maxAttempts];
                tried[attempt - 1] = server;
                _logger.LogDebug("Request {RequestId}: attempt {Attempt} on {Server} failed ({Message}); retrying on another server", requestId, attempt, server, result.Message);
                lastFailure = result;
            }

            await WriteErrorAsync(context, lastFailure.StatusCode, lastFailure.Message!, requestId).ConfigureAwait(false);
            return server;
        }
        finally
        {
            if (buffered is not null)
            {
                ArrayPool<byte>.Shared.Return(buffered);
            }
        }
    }

    /// <summary>The farm's policy with the request (hash and client-address policies read it).</summary>
    private readonly struct RequestChooser(ILoadBalancingPolicy policy, HttpContext context) : ICandidateChooser
    {
        public ServerRuntime? Choose(ReadOnlySpan<ServerRuntime> candidates) => policy.Choose(context, candidates);
    }

    private async Task<AttemptResult> AttemptAsync(
        HttpContext context,
        RuntimeSnapshot snapshot,
        CompiledRoute route,
        FarmView view,
        ServerRuntime server,
        string requestId,
        byte[]? buffered,
        int bufferedLength,
        bool hasBody,
        IHttpUpgradeFeature? upgrade,
        ExchangeCancellation exchange)
    {
        var farm = route.Farm;
        var timeouts = view.Transport.Timeouts;
        var transport = view.Transport;
        var attemptStart = Stopwatch.GetTimestamp();
        StreamingRequestContent? streaming = null;
        HttpContent? content = null;
        if (hasBody)
        {
            content = buffered is not null
                ? new ByteArrayContent(buffered, 0, bufferedLength)
                : streaming = new StreamingRequestContent(context.Request, exchange);
        }

        HttpRequestMessage request;
        try
        {
            request = CreateRequest(context, snapshot, route, view, server, content, requestId, upgrade is not null);
        }
        catch (Exception ex) when (ex is UriFormatException or FormatException or ArgumentException or InvalidOperationException)
        {
            // A request HttpClient cannot express (a target Uri refuses, say): nothing was sent; the client's failure.
            _logger.LogDebug(ex, "Request {RequestId} cannot be put into an upstream request", requestId);
            content?.Dispose();
            await WriteFailureAsync(context, ForwardingFailure.UnsendableRequest, requestId).ConfigureAwait(false);
            return AttemptResult.Done;
        }

        using var disposeRequest = request;
        HttpResponseMessage upstream;
        try
        {
            upstream = await transport.Invoker.SendAsync(request, exchange.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            if (exchange.ClientAborted || streaming?.ClientError is not null)
            {
                await OnClientBodyErrorAsync(context, farm, streaming?.ClientError ?? ex, requestId).ConfigureAwait(false);
                return AttemptResult.ClientGone;
            }

            return FailBeforeHeaders(farm, view, server, exchange, ex, attemptStart, streaming?.Started ?? false);
        }

        using (upstream)
        {
            // From here on the idle timeout applies: no byte moving either way for that long aborts the exchange.
            exchange.SetTimeout(timeouts.Idle);
            var status = (int)upstream.StatusCode;
            if (upgrade is not null && status == StatusCodes.Status101SwitchingProtocols)
            {
                var key = context.Request.Headers.SecWebSocketKey;
                if (key.Count == 1 && !WebSocketAccept.Answers(key[0]!, upstream.Headers.TryGetValues("Sec-WebSocket-Accept", out var accept) ? accept.FirstOrDefault() : null))
                {
                    // No tunnel opens; the server's fault, counted like a malformed response.
                    var failure = ForwardingFailures.Describe(ForwardingFailure.InvalidUpgradeResponse);
                    _logger.Log(failure.Level, "Request {RequestId}: {Server} {Reason}", requestId, server, failure.Reason);
                    if (failure.CountsAgainstServer)
                    {
                        server.Statistics.RecordTransportFailure(Stopwatch.GetElapsedTime(attemptStart));
                        view.PassiveHealth?.OnTransportFailure(server, null);
                    }

                    await WriteErrorAsync(context, failure.Status, $"{ForwardingFailures.Message(ForwardingFailure.InvalidUpgradeResponse)} (server '{server.Name}' in farm '{farm.Name}')", requestId).ConfigureAwait(false);
                    return AttemptResult.Done;
                }

                return await TunnelAsync(context, upgrade, upstream, exchange, view, server, attemptStart).ConfigureAwait(false);
            }

            var response = context.Response;
            response.StatusCode = status;
            try
            {
                CopyResponseHeaders(upstream.Headers, response.Headers);
                CopyResponseHeaders(upstream.Content.Headers, response.Headers);
            }
            catch (InvalidOperationException ex)
            {
                // Kestrel refuses some values HttpClient let through unvalidated (a Content-Length that is not a number).
                return await FailResponseBodyAsync(context, view, server, exchange, new IOException("invalid response headers: " + ex.Message, ex), requestId, attemptStart).ConfigureAwait(false);
            }

            var copy = await CopyResponseBodyAsync(upstream, response, exchange).ConfigureAwait(false);
            var bytesOut = copy.Bytes;
            var upstreamError = copy.UpstreamError;
            var clientGone = copy.ClientGone;

            if (clientGone || exchange.ClientAborted)
            {
                farm.Statistics.RecordClientAbort();
                context.Abort();
                return AttemptResult.ClientGone;
            }

            if (upstreamError is not null)
            {
                return await FailResponseBodyAsync(context, view, server, exchange, upstreamError, requestId, attemptStart).ConfigureAwait(false);
            }

            if (upstream.TrailingHeaders is { } trailers && response.SupportsTrailers())
            {
                foreach (var header in trailers.NonValidated)
                {
                    if (!HeaderNames.IsHopByHop(header.Key))
                    {
                        var values = ToStringValues(header.Value);
                        if (values.Count > 0)
                        {
                            response.AppendTrailer(header.Key, values);
                        }
                    }
                }
            }

            server.Statistics.RecordResponse(status, Stopwatch.GetElapsedTime(attemptStart), streaming?.BytesRead ?? bufferedLength, bytesOut);
            view.PassiveHealth?.OnResponse(server, status);
            return AttemptResult.Done;
        }
    }

    /// <summary>The server failed after its response headers (see <see cref="Http1.Http1Forwarder.FailResponseBodyAsync"/>).</summary>
    private Task<AttemptResult> FailResponseBodyAsync(HttpContext context, FarmView view, ServerRuntime server, ExchangeCancellation exchange, Exception upstreamError, string requestId, long attemptStart)
        => _http1.FailResponseBodyAsync(new Http1.KestrelResponseTarget(context), view, server, exchange, upstreamError, requestId, attemptStart).AsTask();

    /// <summary>
    /// Copies the server's body to the client. Data is flushed to the client whenever the next read from the
    /// server would wait (and at least every 64 KiB), so streamed responses (gRPC, SSE, long polling) reach the
    /// client at once — headers included — while a response that is already buffered goes out in few writes.
    /// </summary>
    private static async Task<BodyCopyResult> CopyResponseBodyAsync(HttpResponseMessage upstream, HttpResponse response, ExchangeCancellation exchange)
    {
        const int FlushThreshold = 64 * 1024;
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var writer = response.BodyWriter;
        long total = 0;
        var unflushed = 0;
        try
        {
            Stream body;
            try
            {
                body = await upstream.Content.ReadAsStreamAsync(exchange.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                return new BodyCopyResult(total, ex, false);
            }

            while (true)
            {
                ValueTask<int> pending;
                try
                {
                    pending = body.ReadAsync(buffer, exchange.Token);
                }
                catch (Exception ex)
                {
                    // A stream may fail synchronously (a malformed chunk already buffered with the head).
                    return new BodyCopyResult(total, ex, false);
                }

                if (!pending.IsCompleted || unflushed >= FlushThreshold)
                {
                    if (!await FlushAsync(writer, exchange).ConfigureAwait(false))
                    {
                        return new BodyCopyResult(total, null, true);
                    }

                    unflushed = 0;
                }

                int read;
                try
                {
                    read = await pending.ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    return new BodyCopyResult(total, ex, false);
                }

                if (read == 0)
                {
                    return await FlushAsync(writer, exchange).ConfigureAwait(false)
                        ? new BodyCopyResult(total, null, false)
                        : new BodyCopyResult(total, null, true);
                }

                writer.Write(buffer.AsSpan(0, read));
                total += read;
                unflushed += read;
                exchange.ResetTimeout();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Flushes to the client; false when the client is gone.</summary>
    internal static async ValueTask<bool> FlushAsync(PipeWriter writer, ExchangeCancellation exchange)
    {
        try
        {
            var result = await writer.FlushAsync(exchange.Token).ConfigureAwait(false);
            return !result.IsCompleted && !result.IsCanceled;
        }
        catch (Exception) when (!exchange.TimedOut)
        {
            return false;
        }
    }

    /// <summary>An attempt failed before response headers (both upstream paths): count it against the server and classify it.</summary>
    internal static AttemptResult FailBeforeHeaders(FarmRuntime farm, FarmView view, ServerRuntime server, ExchangeCancellation exchange, Exception error, long attemptStart, bool bodyStarted)
    {
        server.Statistics.RecordTransportFailure(Stopwatch.GetElapsedTime(attemptStart));
        view.PassiveHealth?.OnTransportFailure(server, error);
        return ClassifyFailure(error, exchange, farm, server, bodyStarted);
    }

    private static AttemptResult ClassifyFailure(Exception ex, ExchangeCancellation exchange, FarmRuntime farm, ServerRuntime server, bool bodyStarted)
    {
        if (exchange.TimedOut)
        {
            return new AttemptResult(
                AttemptOutcome.FailedBeforeHeaders,
                StatusCodes.Status504GatewayTimeout,
                $"WebFarm: server '{server.Name}' in farm '{farm.Name}' sent no response headers within {DurationParser.Format(exchange.Timeout)}",
                bodyStarted);
        }

        // SocketsHttpHandler reports its ConnectTimeout as a cancellation wrapping a TimeoutException.
        if (ex is OperationCanceledException { InnerException: TimeoutException })
        {
            return new AttemptResult(AttemptOutcome.ConnectFailed, StatusCodes.Status502BadGateway, $"WebFarm: cannot connect to server '{server.Name}' in farm '{farm.Name}' (connect timeout)", bodyStarted);
        }

        if (ex is Http1.Http1ConnectException connect)
        {
            return new AttemptResult(AttemptOutcome.ConnectFailed, StatusCodes.Status502BadGateway, $"WebFarm: cannot connect to server '{server.Name}' in farm '{farm.Name}' ({connect.Reason})", bodyStarted);
        }

        if (ex is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError } hre)
        {
            var reason = hre.InnerException is SocketException se ? se.SocketErrorCode.ToString() : hre.HttpRequestError.ToString();
            return new AttemptResult(AttemptOutcome.ConnectFailed, StatusCodes.Status502BadGateway, $"WebFarm: cannot connect to server '{server.Name}' in farm '{farm.Name}' ({reason})", bodyStarted);
        }

        var what = ex switch
        {
            HttpRequestException { HttpRequestError: var error } => error.ToString(),
            Http1.Http1ProtocolException => ex.Message,
            SocketException socket => socket.SocketErrorCode.ToString(),
            IOException => ex.Message,
            _ => ex.GetType().Name,
        };
        return new AttemptResult(AttemptOutcome.FailedBeforeHeaders, StatusCodes.Status502BadGateway, $"WebFarm: server '{server.Name}' in farm '{farm.Name}' failed before sending response headers ({what})", bodyStarted);
    }

    private async Task<AttemptResult> TunnelAsync(HttpContext context, IHttpUpgradeFeature upgrade, HttpResponseMessage upstream, ExchangeCancellation exchange, FarmView view, ServerRuntime server, long attemptStart)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status101SwitchingProtocols;
        CopyResponseHeaders(upstream.Headers, response.Headers);
        if (upstream.Headers.TryGetValues("Upgrade", out var protocols))
        {
            response.Headers.Upgrade = ToStringValues(protocols);
        }

        Stream upstreamStream;
        Stream clientStream;
        try
        {
            upstreamStream = await upstream.Content.ReadAsStreamAsync(exchange.Token).ConfigureAwait(false);
            clientStream = await upgrade.UpgradeAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogInformation(ex, "Upgrade to {Server} failed", server);
            context.Abort();
            return AttemptResult.Done;
        }

        await using (upstreamStream.ConfigureAwait(false))
        {
            var toServer = PumpAsync(clientStream, upstreamStream, exchange);
            var toClient = PumpAsync(upstreamStream, clientStream, exchange);

            // When one side closes, the tunnel is over: cancel the other direction and close both connections.
            await Task.WhenAny(toServer, toClient).ConfigureAwait(false);
            try
            {
                await exchange.CancelAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
            }

            var bytesIn = await toServer.ConfigureAwait(false);
            var bytesOut = await toClient.ConfigureAwait(false);
            server.Statistics.RecordResponse(StatusCodes.Status101SwitchingProtocols, Stopwatch.GetElapsedTime(attemptStart), bytesIn, bytesOut);
            view.PassiveHealth?.OnResponse(server, StatusCodes.Status101SwitchingProtocols);
        }

        await clientStream.DisposeAsync().ConfigureAwait(false);
        return AttemptResult.Done;
    }

    private static async Task<long> PumpAsync(Stream from, Stream to, ExchangeCancellation exchange)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(TunnelBufferSize);
        long total = 0;
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, exchange.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    return total;
                }

                await to.WriteAsync(buffer.AsMemory(0, read), exchange.Token).ConfigureAwait(false);
                await to.FlushAsync(exchange.Token).ConfigureAwait(false);
                total += read;
                exchange.ResetTimeout();
            }
        }
        catch (Exception)
        {
            // Either side failing or closing ends this direction; the caller tears the tunnel down.
            return total;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static HttpRequestMessage CreateRequest(HttpContext context, RuntimeSnapshot snapshot, CompiledRoute route, FarmView view, ServerRuntime server, HttpContent? content, string requestId, bool upgrade)
    {
        var incoming = context.Request;
        var request = new HttpRequestMessage(HttpMethod.Parse(incoming.Method), new Uri(server.BaseAddress + BuildTarget(context, route), UriKind.Absolute))
        {
            // Upgrades (WebSockets) need HTTP/1.1 whatever the farm uses.
            Version = upgrade ? HttpVersion.Version11 : view.Transport.Version,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };

        var sink = new MessageHeaderSink(request);
        var sentContentLength = RequestHeaderForwarding.CopyClientHeaders(context, snapshot.TrustedProxies, upgrade, ref sink);
        if (sentContentLength && content is StreamingRequestContent && incoming.ContentLength is long length)
        {
            content.Headers.ContentLength = length;
        }

        if (upgrade)
        {
            request.Headers.TryAddWithoutValidation("Connection", "Upgrade");
        }

        if (view.Options.PreserveHost && incoming.Host.HasValue)
        {
            request.Headers.Host = incoming.Host.Value;
        }

        RequestHeaderForwarding.AddForwarded(context, snapshot.TrustedProxies, requestId, ref sink);
        return request;
    }

    /// <summary>"OPTIONS *" (RFC 9112 3.2.4): the server as a whole, not a resource.</summary>
    internal static bool IsAsteriskForm(HttpContext context) => context.Features.Get<IHttpRequestFeature>()?.RawTarget == "*";

    /// <summary>
    /// The path and query to send: the client's raw target when unchanged (exact bytes), "*" for the asterisk form,
    /// else the stripped path re-encoded.
    /// </summary>
    internal static string BuildTarget(HttpContext context, CompiledRoute route)
    {
        if (IsAsteriskForm(context))
        {
            return "*";
        }

        if (!route.StripPrefix)
        {
            var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
            if (raw is { Length: > 0 } && raw[0] == '/')
            {
                return raw;
            }

            return context.Request.Path.ToUriComponent() + context.Request.QueryString.Value;
        }

        var path = context.Request.Path.Value ?? "/";
        var rest = path.Length > route.PathPrefix!.Length ? path[route.PathPrefix.Length..] : "/";
        return new PathString(rest).ToUriComponent() + context.Request.QueryString.Value;
    }

    private static void CopyResponseHeaders(HttpHeaders from, IHeaderDictionary to)
    {
        string? connection = null;
        if (from.NonValidated.TryGetValues("Connection", out var connectionValues))
        {
            connection = connectionValues.ToString();
        }

        foreach (var header in from.NonValidated)
        {
            var name = header.Key;
            if (HeaderNames.IsHopByHop(name) || (connection is not null && HeaderNames.ListContains(connection, name)))
            {
                continue;
            }

            var values = ToStringValues(header.Value);
            if (values.Count == 0)
            {
                continue;
            }

            if (name.Equals("Set-Cookie", StringComparison.OrdinalIgnoreCase))
            {
                // Keep cookies the balancer set (affinity) next to the server's.
                to.Append(name, values);
            }
            else
            {
                to[name] = values;
            }
        }
    }

    private static StringValues ToStringValues(HeaderStringValues values)
    {
        if (values.Count == 1)
        {
            var single = values.ToString();
            return HeaderSyntax.HasUnsafeChars(single) ? StringValues.Empty : new StringValues(single);
        }

        var list = new List<string>(values.Count);
        foreach (var v in values)
        {
            if (!HeaderSyntax.HasUnsafeChars(v))
            {
                list.Add(v);
            }
        }

        return new StringValues([.. list]);
    }

    private static StringValues ToStringValues(IEnumerable<string> values)
    {
        var list = new List<string>();
        foreach (var v in values)
        {
            if (!HeaderSyntax.HasUnsafeChars(v))
            {
                list.Add(v);
            }
        }

        return new StringValues([.. list]);
    }

    private static async Task OnClientBodyErrorAsync(HttpContext context, FarmRuntime farm, Exception error, string requestId)
    {
        // A client that sent a malformed or oversized body gets Kestrel's verdict; one that left gets nothing.
        if (!context.RequestAborted.IsCancellationRequested && error is BadHttpRequestException bad && !context.Response.HasStarted)
        {
            await WriteErrorAsync(context, bad.StatusCode, $"WebFarm: bad request body ({bad.Message})", requestId).ConfigureAwait(false);
            return;
        }

        farm.Statistics.RecordClientAbort();
        context.Abort();
    }

    internal static void AbortClient(HttpContext context)
    {
        // HTTP/2 and HTTP/3: reset just this stream; HTTP/1.1: close the connection so the client sees a truncated response.
        if (context.Features.Get<IHttpResetFeature>() is { } reset)
        {
            reset.Reset(Http2InternalError);
        }
        else
        {
            context.Abort();
        }
    }

    internal static async Task WriteErrorAsync(HttpContext context, int statusCode, string message, string requestId, bool retryAfter = false, bool connectionClose = false, string? allow = null)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            AbortClient(context);
            return;
        }

        response.Clear();
        if (connectionClose)
        {
            response.Headers.Connection = "close";
        }

        if (allow is not null)
        {
            response.Headers.Allow = allow;
        }

        response.StatusCode = statusCode;
        response.ContentType = "text/plain; charset=utf-8";
        response.Headers[RequestIdHeader] = requestId;
        if (retryAfter)
        {
            response.Headers.RetryAfter = "5";
        }

        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }

        try
        {
            await response.WriteAsync($"{message} (request id {requestId})\n", context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client left while we were telling it what went wrong.
        }
    }

    private void WriteAccessLog(HttpContext context, CompiledRoute? route, ServerRuntime? server, string requestId, long start)
    {
        var request = context.Request;
        _accessLog.LogInformation(
            "{ClientIp} \"{Method} {Host}{Target} {Protocol}\" {Status} {Farm}/{Server} {ElapsedMs:F1}ms id={RequestId}",
            context.Connection.RemoteIpAddress,
            request.Method,
            request.Host.Value,
            request.Path.Value + request.QueryString.Value,
            request.Protocol,
            context.Response.StatusCode,
            route?.Farm.Name ?? "-",
            server?.Name ?? "-",
            Stopwatch.GetElapsedTime(start).TotalMilliseconds,
            requestId);
    }
}
