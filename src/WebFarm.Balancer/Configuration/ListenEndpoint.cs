namespace WebFarm.Balancer.Configuration;

/// <summary>One client-facing listener: "http://127.0.0.1:8080", "http://*:80", "http://[::]:8080".</summary>
public sealed record ListenEndpoint(string Url, ListenProtocols Protocols = ListenProtocols.Http1AndHttp2);
