using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Async;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Forwarding.Headers;

namespace WebFarm.Balancer.Forwarding.Http1;

/// <summary>
/// One attempt of a request without a body to an http:// server of an HTTP/1.1 farm, over a pooled connection
/// of our own instead of SocketsHttpHandler (see docs/architecture.md, "Two upstream paths"): the request head is
/// written in one send, the response head is parsed in place from the receive buffer, and the body is copied to
/// Kestrel's pipe as it arrives. Measured in bench/balancer, this removes most of the per-request objects and
/// thread hops of HttpClient on the most common request shape. Choosing the server, retries across servers and the
/// error answers stay with the request pipeline (<see cref="Pipeline.RequestPipeline"/>); which attempts come here is
/// decided by <see cref="Pipeline.ServingDecision"/>. Both client adapters use it: the response goes to an
/// <see cref="IHttp1ResponseTarget"/> (Kestrel's response or the front end's connection).
/// </summary>
internal sealed class Http1Forwarder
{
    private const int MaxChunkLine = 4096;
    private const int MaxTrailerBytes = 64 * 1024;

    private readonly ILogger _logger;

    public Http1Forwarder(ILogger logger)
    {
        _logger = logger;
    }

    /// <summary>
    /// One attempt: <paramref name="requestHead"/> goes to <paramref name="server"/> on a pooled connection (or a new
    /// one), and the response goes to <paramref name="target"/>.
    /// </summary>
    [AsyncMethodBuilder(typeof(PooledValueTaskMethodBuilder<>))]
    public async ValueTask<AttemptResult> AttemptAsync<TTarget>(TTarget target, Http1ConnectionPool pool, ReadOnlyMemory<byte> requestHead, bool isHead, FarmRuntime farm, FarmView view, ServerRuntime server, string requestId, ExchangeCancellation exchange)
        where TTarget : IHttp1ResponseTarget
    {
        var attemptStart = Stopwatch.GetTimestamp();
        var forceNew = false;
        while (true)
        {
            if (forceNew || !pool.TryRent(out var connection))
            {
                try
                {
                    connection = await pool.ConnectAsync(view.Transport.Timeouts.Connect, exchange.Token).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    return FailBeforeHeaders(target, farm, view, server, exchange, ex, attemptStart);
                }
            }

            var result = await ExchangeAsync(target, farm, view, server, pool, connection, requestHead, isHead, requestId, exchange, attemptStart).ConfigureAwait(false);
            if (result is { } done)
            {
                return done;
            }

            // A kept-alive connection failed before the first response byte: most likely the server closed it
            // while idle just as we sent. Nothing was processed, so the request goes once more on a new connection.
            forceNew = true;
        }
    }

    /// <summary>Runs the exchange on <paramref name="connection"/>; null means "retry on a new connection".</summary>
    [AsyncMethodBuilder(typeof(PooledValueTaskMethodBuilder<>))]
    private async ValueTask<AttemptResult?> ExchangeAsync<TTarget>(
        TTarget target,
        FarmRuntime farm,
        FarmView view,
        ServerRuntime server,
        Http1ConnectionPool pool,
        Http1Connection connection,
        ReadOnlyMemory<byte> requestHead,
        bool isHead,
        string requestId,
        ExchangeCancellation exchange,
        long attemptStart)
        where TTarget : IHttp1ResponseTarget
    {
        // Timeouts and client aborts close the socket, which fails whatever send or receive is pending.
        var registration = exchange.Token.UnsafeRegister(static state => ((Http1Connection)state!).Abort(), connection);
        var keep = false;
        try
        {
            Http1ResponseHead responseHead;
            var receivedAny = false;
            try
            {
                await connection.SendAsync(requestHead).ConfigureAwait(false);
                while (true)
                {
                    if (!Http1ResponseParser.TryParse(connection.Buffered, isHead, out responseHead))
                    {
                        var received = await connection.ReceiveAsync().ConfigureAwait(false);
                        connection.OnReceived(received);
                        if (received == 0)
                        {
                            throw new IOException(receivedAny ? "the server closed the connection in the middle of the response head" : "the server closed the connection without a response");
                        }

                        receivedAny = true;
                        continue;
                    }

                    if (!responseHead.IsInterim)
                    {
                        break;
                    }

                    connection.Consume(responseHead.Length);
                }
            }
            catch (Exception ex)
            {
                if (connection.Reused && !receivedAny && !exchange.IsCancellationRequested && ex is not Http1ProtocolException)
                {
                    return null;
                }

                return FailBeforeHeaders(target, farm, view, server, exchange, ex, attemptStart);
            }

            // From here on the idle timeout applies: no byte moving for that long aborts the exchange.
            exchange.SetTimeout(view.Transport.Timeouts.Idle);
            var status = responseHead.StatusCode;
            target.StartResponse(connection.Buffered, responseHead, pool, requestId);
            connection.Consume(responseHead.Length);
            var copy = responseHead.Framing switch
            {
                Http1BodyFraming.None => default,
                Http1BodyFraming.ContentLength => await CopyFixedLengthAsync(connection, target, responseHead.ContentLength, exchange).ConfigureAwait(false),
                Http1BodyFraming.Chunked => await CopyChunkedAsync(connection, target, exchange).ConfigureAwait(false),
                _ => await CopyUntilCloseAsync(connection, target, exchange).ConfigureAwait(false),
            };

            if (copy.UpstreamError is null && !copy.ClientGone && !await target.CompleteAsync(exchange).ConfigureAwait(false))
            {
                copy = new BodyCopyResult(copy.Bytes, null, true);
            }

            if (copy.ClientGone || exchange.ClientAborted)
            {
                farm.Statistics.RecordClientAbort();
                target.Abort();
                return AttemptResult.ClientGone;
            }

            if (copy.UpstreamError is not null)
            {
                return await AttemptFailures.AfterHeadersAsync(_logger, target, view, server, exchange, copy.UpstreamError, requestId, attemptStart).ConfigureAwait(false);
            }

            // One clock read ends the attempt: its latency (microsecond bins, the least-time policies' average) and the
            // statistics window's second both come from it.
            var end = Stopwatch.GetTimestamp();
            server.Statistics.RecordResponse(status, Stopwatch.GetElapsedTime(attemptStart, end), 0, copy.Bytes, end);
            view.PassiveHealth?.OnResponse(server, status);

            // Bytes beyond the response mean the server and we disagree about framing: never reuse that connection.
            keep = responseHead.KeepAlive && connection.BufferedCount == 0;
            return AttemptResult.Done;
        }
        finally
        {
            // Unregister first (waits for a running abort), so a late timeout cannot close a connection that is
            // already serving the next request.
            registration.Dispose();
            if (keep && !exchange.IsCancellationRequested && !connection.IsDisposed)
            {
                pool.Return(connection);
            }
            else
            {
                connection.Dispose();
            }
        }
    }

    private static AttemptResult FailBeforeHeaders<TTarget>(TTarget target, FarmRuntime farm, FarmView view, ServerRuntime server, ExchangeCancellation exchange, Exception error, long attemptStart)
        where TTarget : IHttp1ResponseTarget
    {
        if (exchange.ClientAborted)
        {
            // The client left: nothing to answer and nothing to hold against the server.
            farm.Statistics.RecordClientAbort();
            target.Abort();
            return AttemptResult.ClientGone;
        }

        return AttemptFailures.BeforeHeaders(farm, view, server, exchange, error, attemptStart, bodyStarted: false);
    }

    /// <summary>Copies exactly <paramref name="length"/> body bytes to the target (also the health probe's body reader).</summary>
    internal static async ValueTask<BodyCopyResult> CopyFixedLengthAsync<TTarget>(Http1Connection connection, TTarget target, long length, ExchangeCancellation exchange)
        where TTarget : IHttp1ResponseTarget
    {
        var remaining = length;
        long total = 0;
        while (true)
        {
            if (connection.BufferedCount > 0 && remaining > 0)
            {
                var take = (int)Math.Min(connection.BufferedCount, remaining);
                target.Write(connection.Buffered[..take]);
                connection.Consume(take);
                remaining -= take;
                total += take;
            }

            if (remaining == 0)
            {
                return new BodyCopyResult(total, null, false);
            }

            // Streamed responses reach the client as they come: flush before waiting for more.
            if (!await target.FlushAsync(exchange).ConfigureAwait(false))
            {
                return new BodyCopyResult(total, null, true);
            }

            var error = await ReceiveMoreAsync(connection, exchange, "before the end of the body (Content-Length)").ConfigureAwait(false);
            if (error is not null)
            {
                return new BodyCopyResult(total, error, false);
            }
        }
    }

    /// <summary>Copies the body until the server closes the connection (also the health probe's body reader).</summary>
    internal static async ValueTask<BodyCopyResult> CopyUntilCloseAsync<TTarget>(Http1Connection connection, TTarget target, ExchangeCancellation exchange)
        where TTarget : IHttp1ResponseTarget
    {
        long total = 0;
        while (true)
        {
            if (connection.BufferedCount > 0)
            {
                var count = connection.BufferedCount;
                target.Write(connection.Buffered);
                connection.Consume(count);
                total += count;
            }

            if (!await target.FlushAsync(exchange).ConfigureAwait(false))
            {
                return new BodyCopyResult(total, null, true);
            }

            int received;
            try
            {
                received = await connection.ReceiveAsync().ConfigureAwait(false);
                connection.OnReceived(received);
            }
            catch (Exception ex)
            {
                return new BodyCopyResult(total, ex, false);
            }

            if (received == 0)
            {
                return new BodyCopyResult(total, null, false);
            }

            exchange.ResetTimeout();
        }
    }

    /// <summary>Decodes a chunked body for the target (which frames it again for its client) and hands it the trailers.</summary>
    internal static async ValueTask<BodyCopyResult> CopyChunkedAsync<TTarget>(Http1Connection connection, TTarget target, ExchangeCancellation exchange)
        where TTarget : IHttp1ResponseTarget
    {
        var state = ChunkState.SizeLine;
        long chunkRemaining = 0;
        long total = 0;
        var trailerBytes = 0;
        var unflushed = false;
        try
        {
            while (true)
            {
                // Consume everything the buffer holds, then wait for more.
                var progressed = true;
                while (progressed)
                {
                    progressed = false;
                    var data = connection.Buffered;
                    switch (state)
                    {
                        case ChunkState.SizeLine:
                            {
                                var lineEnd = data.IndexOf((byte)'\n');
                                if (lineEnd < 0)
                                {
                                    if (data.Length > MaxChunkLine)
                                    {
                                        throw new Http1ProtocolException("chunk size line too long");
                                    }

                                    break;
                                }

                                if (lineEnd > MaxChunkLine)
                                {
                                    // The same limit when the line's end came in the same read, so the outcome does not depend on the cuts.
                                    throw new Http1ProtocolException("chunk size line too long");
                                }

                                chunkRemaining = ParseChunkSize(Http1ResponseParser.TrimCr(data[..lineEnd]));
                                connection.Consume(lineEnd + 1);
                                state = chunkRemaining == 0 ? ChunkState.Trailers : ChunkState.Data;
                                progressed = true;
                                break;
                            }

                        case ChunkState.Data:
                            {
                                if (data.IsEmpty)
                                {
                                    break;
                                }

                                var take = (int)Math.Min(data.Length, chunkRemaining);
                                target.Write(data[..take]);
                                connection.Consume(take);
                                chunkRemaining -= take;
                                total += take;
                                unflushed = true;
                                state = chunkRemaining == 0 ? ChunkState.DataEnd : ChunkState.Data;
                                progressed = true;
                                break;
                            }

                        case ChunkState.DataEnd:
                            {
                                var lineEnd = data.IndexOf((byte)'\n');
                                if (lineEnd < 0)
                                {
                                    if (data.Length > 1)
                                    {
                                        throw new Http1ProtocolException("chunk data not followed by CRLF");
                                    }

                                    break;
                                }

                                if (!Http1ResponseParser.TrimCr(data[..lineEnd]).IsEmpty)
                                {
                                    throw new Http1ProtocolException("chunk data not followed by CRLF");
                                }

                                connection.Consume(lineEnd + 1);
                                state = ChunkState.SizeLine;
                                progressed = true;
                                break;
                            }

                        default:
                            {
                                var lineEnd = data.IndexOf((byte)'\n');
                                if (lineEnd < 0)
                                {
                                    break;
                                }

                                var line = Http1ResponseParser.TrimCr(data[..lineEnd]);
                                if (line.IsEmpty)
                                {
                                    connection.Consume(lineEnd + 1);
                                    return new BodyCopyResult(total, null, false);
                                }

                                trailerBytes += lineEnd + 1;
                                if (trailerBytes > MaxTrailerBytes)
                                {
                                    throw new Http1ProtocolException("trailers larger than 64 KiB");
                                }

                                if (!Http1ResponseParser.TryParseHeaderLine(line, out var name, out var value))
                                {
                                    throw new Http1ProtocolException("malformed trailer line");
                                }

                                if (!HeaderNames.IsHopByHopOrFraming(name) && !HeaderSyntax.HasUnsafeBytes(value))
                                {
                                    target.AddTrailer(name, value);
                                }

                                connection.Consume(lineEnd + 1);
                                progressed = true;
                                break;
                            }
                    }
                }

                if (unflushed)
                {
                    if (!await target.FlushAsync(exchange).ConfigureAwait(false))
                    {
                        return new BodyCopyResult(total, null, true);
                    }

                    unflushed = false;
                }

                var error = await ReceiveMoreAsync(connection, exchange, "in the middle of a chunked body").ConfigureAwait(false);
                if (error is not null)
                {
                    return new BodyCopyResult(total, error, false);
                }
            }
        }
        catch (Http1ProtocolException ex)
        {
            return new BodyCopyResult(total, ex, false);
        }
    }

    /// <summary>Receives more body bytes; returns the failure (closed early, reset, aborted) or null.</summary>
    private static async ValueTask<Exception?> ReceiveMoreAsync(Http1Connection connection, ExchangeCancellation exchange, string where)
    {
        try
        {
            var received = await connection.ReceiveAsync().ConfigureAwait(false);
            connection.OnReceived(received);
            if (received == 0)
            {
                return new IOException("the server closed the connection " + where);
            }
        }
        catch (Exception ex)
        {
            return ex;
        }

        exchange.ResetTimeout();
        return null;
    }

    private static long ParseChunkSize(ReadOnlySpan<byte> line)
    {
        // chunk-size [; chunk-ext] — extensions are ignored. 15 hex digits keep the size positive in a long.
        var semicolon = line.IndexOf((byte)';');
        var hex = (semicolon < 0 ? line : line[..semicolon]).TrimEnd(" \t"u8);
        if (hex.IsEmpty || hex.Length > 15 || !Utf8Parser.TryParse(hex, out long size, out var consumed, 'X') || consumed != hex.Length)
        {
            throw new Http1ProtocolException("invalid chunk size");
        }

        return size;
    }

    private enum ChunkState
    {
        SizeLine,
        Data,
        DataEnd,
        Trailers,
    }
}
