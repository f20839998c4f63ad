namespace WebFarm.Balancer.Configuration;

/// <summary>What an active health check does.</summary>
public enum HealthCheckType
{
    /// <summary>Http on HTTP farms, Connect on TCP farms (a TCP service need not speak HTTP).</summary>
    Auto,

    /// <summary>A GET of the check's Path, judged by status and body.</summary>
    Http,

    /// <summary>Opens a TCP connection and closes it: the server passes when it accepts within the timeout.</summary>
    Connect,
}
