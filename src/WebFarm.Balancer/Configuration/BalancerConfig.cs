namespace WebFarm.Balancer.Configuration;

/// <summary>
/// The whole balancer configuration: what the JSON file says, with defaults for every absent key.
/// Instances are immutable once loaded; a reload builds a new one and the runtime swaps snapshots.
/// Code (tests, <c>webfarm up</c>, the controller) may build one directly and pass it to the host.
/// </summary>
public sealed record BalancerConfig
{
    /// <summary>Client-facing listeners.</summary>
    public IReadOnlyList<ListenEndpoint> Listen { get; init; } = [new ListenEndpoint("http://127.0.0.1:8080")];

    public AdminOptions Admin { get; init; } = new();

    /// <summary>Where server states, weights and the affinity key are kept; relative to the config file.
    /// Null or empty disables persistence.</summary>
    public string? StateDirectory { get; init; } = ".webfarm";

    /// <summary>Networks ("10.0.0.0/8") or addresses whose X-Forwarded-* headers are appended to, not overwritten.</summary>
    public IReadOnlyList<string> TrustedProxies { get; init; } = [];

    /// <summary>Writes one line per request to the "WebFarm.AccessLog" logger.</summary>
    public bool AccessLog { get; init; }

    /// <summary>
    /// Plain HTTP/1.1 requests are served by the connection-level front end instead of Kestrel's HTTP stack
    /// (docs/architecture.md, "The HTTP/1.1 front end"). Off: Kestrel serves every request.
    /// </summary>
    public bool Http1FrontEnd { get; init; } = true;

    /// <summary>
    /// How client connections and the direct upstream path wait for I/O: WebFarm's epoll transport (Auto picks it on
    /// 64-bit Linux) or .NET's socket engine. Read at start; a reload does not change it.
    /// </summary>
    public SocketEngine SocketEngine { get; init; } = SocketEngine.Auto;

    /// <summary>True when <see cref="SocketEngine"/> resolves to the epoll transport on this machine.</summary>
    public bool UsesEpoll => SocketEngine switch
    {
        SocketEngine.Epoll => true,
        SocketEngine.Auto => WebFarm.Balancer.Transport.EpollLoop.IsSupported,
        _ => false,
    };

    public IReadOnlyDictionary<string, FarmOptions> Farms { get; init; } = new Dictionary<string, FarmOptions>(StringComparer.Ordinal);

    /// <summary>Host/path/header rules to farms. Empty with a single farm means "everything to that farm".</summary>
    public IReadOnlyList<RouteOptions> Routes { get; init; } = [];

    /// <summary>The file this configuration came from (null when built in code); errors and relative paths use it.</summary>
    public string? SourcePath { get; init; }
}
