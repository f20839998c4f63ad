namespace WebFarm.AspNetCore.Resp;

/// <summary>Settings of a <see cref="RespClient"/>.</summary>
public sealed class RespClientOptions
{
    /// <summary>
    /// Servers as <c>host:port</c>. With more than one, the client asks each for its <c>ROLE</c> and uses the
    /// primary, and looks for the primary again after a failover.
    /// </summary>
    public IList<string> EndPoints { get; } = new List<string>();

    /// <summary>
    /// <see cref="RespTopology.Auto"/> (default): a cluster node among the endpoints (<c>cluster_enabled:1</c>) makes
    /// this a cluster client; <see cref="RespTopology.Primary"/>: one server or primary plus replicas;
    /// <see cref="RespTopology.Cluster"/>: the endpoints are seed nodes of a Redis or Valkey Cluster.
    /// </summary>
    public RespTopology Topology { get; set; } = RespTopology.Auto;

    /// <summary>Optional ACL user name sent with <c>AUTH</c>.</summary>
    public string? User { get; set; }

    /// <summary>Password sent with <c>AUTH</c> after connecting; null sends no AUTH.</summary>
    public string? Password { get; set; }

    /// <summary>How many sockets commands are multiplexed over (round robin). Default 2.</summary>
    public int ConnectionCount { get; set; } = 2;

    /// <summary>How long a command (including waiting for a connection) may take before it fails. Default 5 s.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one TCP connect plus handshake may take. Default 3 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Upper bound of the exponential reconnect backoff. Default 2 s.</summary>
    public TimeSpan MaxReconnectBackoff { get; set; } = TimeSpan.FromSeconds(2);
}
