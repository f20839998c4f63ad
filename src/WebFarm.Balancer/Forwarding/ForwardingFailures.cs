using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace WebFarm.Balancer.Forwarding;

/// <summary>What a <see cref="ForwardingFailure"/> means for the client, the log and the server's passive health, in one table.</summary>
internal static class ForwardingFailures
{
    public static FailureDescription Describe(ForwardingFailure failure) => failure switch
    {
        ForwardingFailure.InvalidHeaderName => Client(StatusCodes.Status400BadRequest, "a header name is not a token (RFC 9110 5.1)"),
        ForwardingFailure.InvalidHeaderValue => Client(StatusCodes.Status400BadRequest, "a header value holds a control character"),
        ForwardingFailure.BareLineFeed => Client(StatusCodes.Status400BadRequest, "header lines must end in CRLF"),
        ForwardingFailure.InvalidContentLength => Client(StatusCodes.Status400BadRequest, "Content-Length must be one run of digits"),
        ForwardingFailure.UnsupportedTransferEncoding => Client(StatusCodes.Status400BadRequest, "the only Transfer-Encoding accepted is one \"chunked\""),
        ForwardingFailure.AmbiguousFraming => Client(StatusCodes.Status400BadRequest, "both Transfer-Encoding and Content-Length (RFC 9112 6.1)"),
        ForwardingFailure.FragmentInTarget => Client(StatusCodes.Status400BadRequest, "a fragment ('#') is not allowed in the request-target"),
        ForwardingFailure.ConnectNotAllowed => Client(StatusCodes.Status405MethodNotAllowed, "CONNECT is not supported: the balancer is not a forward proxy"),
        ForwardingFailure.InvalidRequestLine => Client(StatusCodes.Status400BadRequest, "not an HTTP/1.x request line"),
        ForwardingFailure.UnsendableRequest => Client(StatusCodes.Status400BadRequest, "the request cannot be forwarded as sent"),
        ForwardingFailure.UnsafeRewrittenHeader => Client(StatusCodes.Status400BadRequest, "a rewrite rule would copy a control or non-ASCII character of the request into a header"),
        ForwardingFailure.InvalidUpgradeResponse => new(StatusCodes.Status502BadGateway, "the server's 101 answer has no valid Sec-WebSocket-Accept", LogLevel.Warning, CountsAgainstServer: true),
        ForwardingFailure.UpstreamTlsFailed => new(StatusCodes.Status502BadGateway, "the TLS handshake with the server failed", LogLevel.Warning, CountsAgainstServer: true),
        // Neither the client's fault nor the server's; the same request sent again is routed by the new configuration.
        ForwardingFailure.FarmRemoved => new(StatusCodes.Status503ServiceUnavailable, "was removed by a configuration reload", LogLevel.Information, CountsAgainstServer: false),
        _ => throw new ArgumentOutOfRangeException(nameof(failure), failure, null),
    };

    /// <summary>The text of the error body the client gets: "WebFarm: bad request: ..." for its own failures.</summary>
    public static string Message(ForwardingFailure failure)
    {
        var description = Describe(failure);
        return description.CountsAgainstServer ? "WebFarm: " + description.Reason : "WebFarm: bad request: " + description.Reason;
    }

    /// <summary>The text of the error body for a failure about a whole farm: "WebFarm: farm 'web' was removed ...".</summary>
    public static string Message(ForwardingFailure failure, string farm) => $"WebFarm: farm '{farm}' {Describe(failure).Reason}";

    /// <summary>The methods a 405 names in Allow: what a farm forwards.</summary>
    public const string AllowedMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, TRACE";

    // The client's own failures are logged at Debug: a client can produce them at will, so they must not flood the log.
    private static FailureDescription Client(int status, string reason) => new(status, reason, LogLevel.Debug, CountsAgainstServer: false);
}

/// <summary>A failure's status, reason, log level and passive-health effect.</summary>
internal readonly record struct FailureDescription(int Status, string Reason, LogLevel Level, bool CountsAgainstServer);
