namespace WebFarm.Balancer.Configuration;

/// <summary>
/// One client-facing listener: "http://127.0.0.1:8080", "http://*:80", "http://[::]:8080"; or, with
/// <see cref="Protocol"/> Tcp, a port rule: "0.0.0.0:7000" or a range "0.0.0.0:7000-7010" whose connections all go to
/// <see cref="Farm"/> (docs/tcp.md).
/// </summary>
public sealed record ListenEndpoint(string Url, ListenProtocols Protocols = ListenProtocols.Http1AndHttp2)
{
    /// <summary>Http (routed requests) or Tcp (a port rule to <see cref="Farm"/>).</summary>
    public TrafficProtocol Protocol { get; init; } = TrafficProtocol.Http;

    /// <summary>Tcp listeners: the farm every connection goes to (HTTP listeners route by Routes instead).</summary>
    public string? Farm { get; init; }

    /// <summary>Tcp listeners: open connections allowed at once on the whole listener (every port of its range); 0 = unlimited.</summary>
    public int MaxConnections { get; init; }
}
