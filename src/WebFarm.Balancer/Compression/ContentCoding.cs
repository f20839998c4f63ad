namespace WebFarm.Balancer.Compression;

/// <summary>A content coding the balancer can apply to a response body (RFC 9110 8.4.1).</summary>
internal enum ContentCoding
{
    /// <summary>The body as the server sent it.</summary>
    Identity,

    /// <summary>Brotli (RFC 7932), "br".</summary>
    Brotli,

    /// <summary>gzip (RFC 1952), "gzip".</summary>
    Gzip,
}
