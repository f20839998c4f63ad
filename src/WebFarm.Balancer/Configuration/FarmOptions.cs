using WebFarm.Balancer.LoadBalancing;

namespace WebFarm.Balancer.Configuration;

/// <summary>One farm: how to pick a server, how to talk to servers, and the servers.</summary>
public sealed record FarmOptions
{
    /// <summary>Http (requests) or Tcp (whole connections from a TCP listener; docs/tcp.md).</summary>
    public TrafficProtocol Protocol { get; init; } = TrafficProtocol.Http;

    /// <summary>TCP farms: the PROXY protocol header sent to the servers first, so they see the client's address.</summary>
    public ProxyProtocolVersion ProxyProtocol { get; init; } = ProxyProtocolVersion.None;

    public LoadBalancingAlgorithm LoadBalancing { get; init; } = LoadBalancingAlgorithm.RoundRobin;

    /// <summary>For Hash: "header:NAME", "cookie:NAME", "path" or "query:NAME".</summary>
    public string? HashKey { get; init; }

    /// <summary>"1.1" or "2" (h2c with prior knowledge) to the servers.</summary>
    public string HttpVersion { get; init; } = "1.1";

    /// <summary>
    /// HTTP/1.1 farms: send requests without a body over the balancer's own pooled connections (true) instead of
    /// SocketsHttpHandler, which still carries bodies, upgrades and HTTP/2 (see docs/architecture.md).
    /// </summary>
    public bool DirectHttp1 { get; init; } = true;

    /// <summary>Send the client's Host header (true) or the server address's host (false).</summary>
    public bool PreserveHost { get; init; } = true;

    /// <summary>
    /// https servers: a PEM file of the certificate authorities their certificates must chain to (relative to the config
    /// file), in place of the system's store; null: the system's trusted roots.
    /// </summary>
    public string? TlsCaFile { get; init; }

    /// <summary>https servers: accept any certificate (no chain, name or date check). Named per farm and logged as a warning.</summary>
    public bool TlsInsecureSkipVerify { get; init; }

    public TimeoutOptions Timeouts { get; init; } = new();

    public LimitOptions Limits { get; init; } = new();

    /// <summary>Panic threshold: below this many healthy servers, every server that is not offline takes traffic.</summary>
    public int MinimumHealthyServers { get; init; }

    /// <summary>Warm-up period during which a server that came back ramps to its full weight; zero = off.</summary>
    public TimeSpan SlowStart { get; init; } = TimeSpan.Zero;

    public RetryOptions Retries { get; init; } = new();

    /// <summary>Active health checks; null = none.</summary>
    public HealthCheckOptions? Health { get; init; }

    /// <summary>Live-traffic health; null = off.</summary>
    public PassiveHealthOptions? PassiveHealth { get; init; }

    public AffinityOptions Affinity { get; init; } = new();

    /// <summary>Response compression for every route to this farm (a route's own replaces it); null = off.</summary>
    public CompressionOptions? Compression { get; init; }

    public IReadOnlyList<ServerOptions> Servers { get; init; } = [];
}
