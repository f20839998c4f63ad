namespace WebFarm.AspNetCore.Resp.Cluster;

/// <summary>One master of the cluster, the slot ranges it serves and its replicas, as one slot map snapshot saw them.</summary>
public sealed class ClusterShard
{
    internal ClusterShard(RespEndPoint master, IReadOnlyList<ClusterSlotRange> ranges, IReadOnlyList<RespEndPoint> replicas)
    {
        Master = master;
        Ranges = ranges;
        Replicas = replicas;
    }

    /// <summary>The master that serves the shard's slots.</summary>
    public RespEndPoint Master { get; }

    /// <summary>The slot ranges, in order.</summary>
    public IReadOnlyList<ClusterSlotRange> Ranges { get; }

    /// <summary>The replicas of the master (failover candidates); never used for commands.</summary>
    public IReadOnlyList<RespEndPoint> Replicas { get; }

    /// <summary>The router's connections to <see cref="Master"/>, cached here so routing skips the node dictionary.</summary>
    internal ClusterNode? MasterNode { get; set; }

    /// <summary>The ranges as Redis writes them, e.g. <c>0-5460,10923</c>.</summary>
    public string RangesText => string.Join(',', Ranges);

    /// <inheritdoc />
    public override string ToString() => $"slots {RangesText} at {Master}";
}
