using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Forwarding.Http1;

namespace WebFarm.Balancer.Forwarding;

/// <summary>
/// What an attempt that failed on the server's side does, on both upstream paths (direct HTTP/1.1 and
/// SocketsHttpHandler): count it against the server, feed passive health, and classify it for the retry decision
/// (before headers) or tell the client (after headers).
/// </summary>
internal static partial class AttemptFailures
{
    /// <summary>An attempt failed before response headers: count it against the server and classify it.</summary>
    public static AttemptResult BeforeHeaders(FarmRuntime farm, FarmView view, ServerRuntime server, ExchangeCancellation exchange, Exception error, long attemptStart, bool bodyStarted)
    {
        server.Statistics.RecordTransportFailure(Stopwatch.GetElapsedTime(attemptStart));
        view.PassiveHealth?.OnTransportFailure(server, error);
        return Classify(error, exchange, farm, server, bodyStarted);
    }

    /// <summary>
    /// The server failed (or went idle too long) after its response headers: count it against the server, then
    /// tell the client with a 502/504 if nothing reached it yet, otherwise abort the client's response.
    /// </summary>
    public static async ValueTask<AttemptResult> AfterHeadersAsync<TTarget>(ILogger logger, TTarget target, FarmView view, ServerRuntime server, ExchangeCancellation exchange, Exception upstreamError, string requestId, long attemptStart)
        where TTarget : IHttp1ResponseTarget
    {
        var farmName = server.Farm;
        server.Statistics.RecordTransportFailure(Stopwatch.GetElapsedTime(attemptStart));
        view.PassiveHealth?.OnTransportFailure(server, upstreamError);
        var timedOut = exchange.TimedOut;
        Log.BodyFailed(logger, requestId, server, timedOut ? "idle timeout" : upstreamError.Message);
        if (!target.HasStarted)
        {
            // Nothing reached the client yet: a clean error response is still possible.
            await target.WriteErrorAsync(
                timedOut ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway,
                timedOut
                    ? $"WebFarm: server '{server.Name}' in farm '{farmName}' stopped sending its response (idle for {DurationParser.Format(exchange.Timeout)})"
                    : $"WebFarm: server '{server.Name}' in farm '{farmName}' failed while sending its response",
                requestId).ConfigureAwait(false);
            return AttemptResult.Done;
        }

        target.Abort();
        return AttemptResult.Done;
    }

    private static AttemptResult Classify(Exception ex, ExchangeCancellation exchange, FarmRuntime farm, ServerRuntime server, bool bodyStarted)
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

        if (ex is Http1ConnectException connect)
        {
            return new AttemptResult(AttemptOutcome.ConnectFailed, StatusCodes.Status502BadGateway, $"WebFarm: cannot connect to server '{server.Name}' in farm '{farm.Name}' ({connect.Reason})", bodyStarted);
        }

        if (ex is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError } hre)
        {
            var reason = hre.InnerException is SocketException se ? se.SocketErrorCode.ToString() : hre.HttpRequestError.ToString();
            return new AttemptResult(AttemptOutcome.ConnectFailed, StatusCodes.Status502BadGateway, $"WebFarm: cannot connect to server '{server.Name}' in farm '{farm.Name}' ({reason})", bodyStarted);
        }

        if (ex is HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } tls)
        {
            // A connection failure as far as retries go (nothing was sent; another server may hold a good certificate),
            // with SslStream's reason, e.g. "the remote certificate is invalid because of errors in the certificate chain: UntrustedRoot".
            var reason = tls.InnerException?.Message ?? tls.Message;
            return new AttemptResult(
                AttemptOutcome.ConnectFailed,
                ForwardingFailures.Describe(ForwardingFailure.UpstreamTlsFailed).Status,
                $"WebFarm: server '{server.Name}' in farm '{farm.Name}': {ForwardingFailures.Describe(ForwardingFailure.UpstreamTlsFailed).Reason} ({reason})",
                bodyStarted);
        }

        var what = ex switch
        {
            HttpRequestException { HttpRequestError: var error } => error.ToString(),
            Http1ProtocolException => ex.Message,
            SocketException socket => socket.SocketErrorCode.ToString(),
            IOException => ex.Message,
            _ => ex.GetType().Name,
        };
        return new AttemptResult(AttemptOutcome.FailedBeforeHeaders, StatusCodes.Status502BadGateway, $"WebFarm: server '{server.Name}' in farm '{farm.Name}' failed before sending response headers ({what})", bodyStarted);
    }
}
