using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Forwarding.Headers;
using WebFarm.Balancer.Forwarding.Http1;
using WebFarm.Balancer.Routing;

namespace WebFarm.Balancer.Forwarding;

/// <summary>
/// One attempt through the farm's <see cref="HttpMessageInvoker"/> (SocketsHttpHandler): what the direct HTTP/1.1
/// path cannot carry (request bodies, upgrades, HTTP/2 farms, https servers; docs/architecture.md, "Two upstream
/// paths"). Only Kestrel's client adapter (<see cref="KestrelClient"/>) uses it: the front end never takes such
/// requests. Streams bodies both ways, tunnels WebSockets, and reports the attempt's outcome to the request pipeline.
/// </summary>
internal sealed partial class HandlerForwarder(ILogger logger)
{
    private const int TunnelBufferSize = 16 * 1024;

    private readonly ILogger _logger = logger;

    public async Task<AttemptResult> AttemptAsync(
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
            Log.Unsendable(_logger, ex, requestId);
            content?.Dispose();
            await KestrelResponses.WriteFailureAsync(context, ForwardingFailure.UnsendableRequest, requestId).ConfigureAwait(false);
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
                await KestrelResponses.OnClientBodyErrorAsync(context, farm, streaming?.ClientError ?? ex, requestId).ConfigureAwait(false);
                return AttemptResult.ClientGone;
            }

            return AttemptFailures.BeforeHeaders(farm, view, server, exchange, ex, attemptStart, streaming?.Started ?? false);
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
                    Log.UpgradeRefused(_logger, failure.Level, requestId, server, failure.Reason);
                    if (failure.CountsAgainstServer)
                    {
                        server.Statistics.RecordTransportFailure(Stopwatch.GetElapsedTime(attemptStart));
                        view.PassiveHealth?.OnTransportFailure(server, null);
                    }

                    await KestrelResponses.WriteErrorAsync(context, failure.Status, $"{ForwardingFailures.Message(ForwardingFailure.InvalidUpgradeResponse)} (server '{server.Name}' in farm '{farm.Name}')", requestId).ConfigureAwait(false);
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
                return await AttemptFailures.AfterHeadersAsync(_logger, new KestrelResponseTarget(context), view, server, exchange, new IOException("invalid response headers: " + ex.Message, ex), requestId, attemptStart).ConfigureAwait(false);
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
                return await AttemptFailures.AfterHeadersAsync(_logger, new KestrelResponseTarget(context), view, server, exchange, upstreamError, requestId, attemptStart).ConfigureAwait(false);
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
                    if (!await ResponseFlush.FlushAsync(writer, exchange).ConfigureAwait(false))
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
                    return await ResponseFlush.FlushAsync(writer, exchange).ConfigureAwait(false)
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
            Log.UpgradeFailed(_logger, ex, server);
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
        var request = new HttpRequestMessage(HttpMethod.Parse(incoming.Method), new Uri(server.BaseAddress + UpstreamTarget.Build(context, route), UriKind.Absolute))
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
}
