namespace WebFarm.Balancer.Forwarding.Http1;

/// <summary>How the end of a response body is found (RFC 9112 section 6.3).</summary>
internal enum Http1BodyFraming
{
    /// <summary>No body: HEAD, 1xx, 204, 304.</summary>
    None,

    /// <summary>Exactly Content-Length bytes follow the head.</summary>
    ContentLength,

    /// <summary>Transfer-Encoding: chunked, possibly with trailers.</summary>
    Chunked,

    /// <summary>Neither: the body ends when the server closes the connection (which cannot be reused).</summary>
    UntilClose,
}
