namespace WebFarm.Balancer.Forwarding.Headers;

/// <summary>
/// What a header name is to a proxy (<see cref="HeaderNames.Classify"/>). The order matters: every kind from
/// <see cref="ContentLength"/> on is dropped by each response filter, every kind from <see cref="Connection"/> on is
/// hop-by-hop, so a rule is one comparison.
/// </summary>
internal enum HeaderKind : byte
{
    /// <summary>An end-to-end header with no special meaning to the balancer.</summary>
    Other,

    /// <summary>Date: a relayed response keeps the server's; the balancer adds its own only when there is none.</summary>
    Date,

    /// <summary>X-Request-Id: a relayed response keeps the server's; the balancer adds its own only when there is none.</summary>
    RequestId,

    /// <summary>Strict-Transport-Security: replaced by the https listener's own when it has one.</summary>
    StrictTransportSecurity,

    /// <summary>Content-Length: framing, which every response filter rewrites.</summary>
    ContentLength,

    /// <summary>Connection (hop-by-hop): its value may name further hop-by-hop headers.</summary>
    Connection,

    /// <summary>Transfer-Encoding (hop-by-hop): framing.</summary>
    TransferEncoding,

    /// <summary>Any other hop-by-hop header (TE, Upgrade, Trailer, Keep-Alive, HTTP2-Settings, Proxy-*).</summary>
    HopByHop,
}
