namespace WebFarm.Balancer.Configuration;

/// <summary>
/// HTTP versions a listener accepts. On https listeners ALPN chooses per connection: Http1AndHttp2 (the default) offers
/// h2 and http/1.1, so browsers get HTTP/2. Cleartext listeners have no ALPN: there Http1 and Http1AndHttp2 accept
/// HTTP/1.1, and Http2 accepts HTTP/2 with prior knowledge (h2c, what gRPC clients use on plain-text ports).
/// </summary>
public enum ListenProtocols
{
    Http1,
    Http2,
    Http1AndHttp2,
}
