namespace WebFarm.Balancer.Configuration;

public sealed record TimeoutOptions
{
    /// <summary>Establishing a TCP connection to a server.</summary>
    public TimeSpan Connect { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>From sending the request until the response headers arrive (reset by request-body progress).</summary>
    public TimeSpan ResponseHeaders { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>No byte moved in either direction of a body (or WebSocket) for this long aborts the exchange.</summary>
    public TimeSpan Idle { get; init; } = TimeSpan.FromSeconds(100);
}
