namespace WebFarm.Balancer.Forwarding.Http1;

/// <summary>
/// What the forwarder needs from a parsed response head; the header lines stay in the receive buffer, and
/// <see cref="Lines"/> says which of them the client's head keeps.
/// </summary>
internal readonly record struct Http1ResponseHead(
    int StatusCode,
    int Length,
    Http1BodyFraming Framing,
    long ContentLength,
    bool HasContentLength,
    bool KeepAlive,
    int ConnectionValueStart,
    int ConnectionValueLength,
    Http1ResponseLines Lines)
{
    /// <summary>1xx other than 101: an interim response to skip (100 Continue, 103 Early Hints).</summary>
    public bool IsInterim => StatusCode is >= 100 and < 200;

    /// <summary>True when the server's Connection header named more than keep-alive/close (those names are hop-by-hop too).</summary>
    public bool ConnectionNamesHeaders => ConnectionValueLength > 0;
}
