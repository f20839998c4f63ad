namespace WebFarm.Balancer.Configuration;

/// <summary>
/// HTTP versions a listener accepts. Listeners are cleartext for now, and without TLS there is no ALPN to
/// choose a version per connection: Http1 and Http1AndHttp2 accept HTTP/1.1, Http2 accepts HTTP/2 with
/// prior knowledge (h2c, what gRPC clients use on plain-text ports). Http1AndHttp2 will mean both once
/// TLS listeners exist.
/// </summary>
public enum ListenProtocols
{
    Http1,
    Http2,
    Http1AndHttp2,
}
