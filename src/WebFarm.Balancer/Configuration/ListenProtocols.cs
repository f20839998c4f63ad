namespace WebFarm.Balancer.Configuration;

/// <summary>
/// HTTP versions a listener accepts. Without TLS there is no ALPN, so clients that want HTTP/2 on a
/// cleartext port use prior knowledge (h2c); Kestrel detects the HTTP/2 preface on Http1AndHttp2.
/// </summary>
public enum ListenProtocols
{
    Http1,
    Http2,
    Http1AndHttp2,
}
