namespace WebFarm.Balancer.Forwarding;

/// <summary>
/// Why the balancer did not forward a request, or why an attempt failed. Each maps, in one place
/// (<see cref="ForwardingFailures"/>), to the status the client gets, the text of the error body, the log level and
/// whether it counts against the server for passive health. A request the balancer itself cannot or will not send is
/// the client's failure: a 4xx that never counts against a server.
/// </summary>
internal enum ForwardingFailure
{
    /// <summary>Nothing wrong.</summary>
    None,

    /// <summary>A header name that is not a token (RFC 9110 5.1): a lenient server could read it as another header.</summary>
    InvalidHeaderName,

    /// <summary>A control character (other than HTAB) or DEL in a header value.</summary>
    InvalidHeaderValue,

    /// <summary>A header line ending in LF without CR: readers disagree on where such lines end.</summary>
    BareLineFeed,

    /// <summary>A Content-Length that is not one run of digits ("+5", "5, 5", two lines).</summary>
    InvalidContentLength,

    /// <summary>A Transfer-Encoding other than exactly one "chunked" (another coding, a list, two lines).</summary>
    UnsupportedTransferEncoding,

    /// <summary>Both Transfer-Encoding and Content-Length: the framing of the body is ambiguous (RFC 9112 6.1).</summary>
    AmbiguousFraming,

    /// <summary>A fragment ('#') in the request-target: routing would see another path than a server that drops it.</summary>
    FragmentInTarget,

    /// <summary>CONNECT: a farm is not a forward proxy and no route tunnels.</summary>
    ConnectNotAllowed,

    /// <summary>A request line without an HTTP/1.x version (HTTP/0.9) or otherwise not a request line.</summary>
    InvalidRequestLine,

    /// <summary>A request the balancer could not put into an upstream request (e.g. a target no upstream path can carry).</summary>
    UnsendableRequest,

    /// <summary>A route's rewrite rule would put a control or non-ASCII character of the request (a decoded capture) into a header.</summary>
    UnsafeRewrittenHeader,

    /// <summary>The server answered an upgrade with 101 but a Sec-WebSocket-Accept that does not answer the client's key.</summary>
    InvalidUpgradeResponse,

    /// <summary>
    /// The TLS handshake with an https server failed: its certificate is not trusted by the farm's rule (system roots or
    /// TlsCaFile), names another host, or is outside its validity period, or the server speaks no TLS the balancer accepts.
    /// </summary>
    UpstreamTlsFailed,

    /// <summary>
    /// The request chose a server of a farm that a configuration reload has since removed (it read the old snapshot,
    /// e.g. while waiting in the server's queue): the farm's transport is retired and no newer view will come.
    /// </summary>
    FarmRemoved,
}
