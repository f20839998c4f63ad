using WebFarm.AspNetCore.Resp;

namespace WebFarm.AspNetCore.Storage;

/// <summary>The RESP server (<c>webfarm state</c> or Redis) as a <see cref="IWebFarmStore"/>.</summary>
internal sealed class RespStore(RespClient client) : IWebFarmStore
{
    public string Kind => "resp";

    public string Target => client.Topology == RespTopology.Cluster
        ? $"cluster of {client.ClusterMap?.Shards.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} masters (seeds {string.Join(", ", client.EndPoints)})"
        : client.EndPoints.Count == 1
            ? client.CurrentEndPoint.ToString()
            : $"{client.CurrentEndPoint} (of {string.Join(", ", client.EndPoints)})";

    public Task PingAsync(CancellationToken cancellationToken) => client.PingAsync(cancellationToken);
}
