namespace WebFarm.AspNetCore.Resp;

/// <summary>How a <see cref="RespClient"/> treats its endpoints.</summary>
public enum RespTopology
{
    /// <summary>
    /// Decide on the first connection: a server whose <c>INFO cluster</c> reports <c>cluster_enabled:1</c> makes the
    /// client a cluster client (the endpoints become seed nodes); anything else is <see cref="Primary"/>.
    /// </summary>
    Auto,

    /// <summary>One server, or a primary with replicas: commands go to the endpoint whose <c>ROLE</c> is master.</summary>
    Primary,

    /// <summary>A Redis or Valkey Cluster: the endpoints are seed nodes; commands are routed by hash slot.</summary>
    Cluster,
}
