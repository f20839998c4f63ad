using System.Globalization;

namespace WebFarm.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A real Redis Cluster on loopback: six redis-server processes (Debian's package) created with
/// <c>redis-cli --cluster create ... --cluster-replicas 1</c>, so three masters each with one replica, and a short
/// <c>cluster-node-timeout</c> (1 s) so a killed master fails over in a few seconds.
/// </summary>
internal sealed class RedisCluster : IAsyncDisposable
{
    public const int NodeTimeoutMs = 1000;

    private readonly List<RedisServer> _nodes;

    private RedisCluster(List<RedisServer> nodes)
    {
        _nodes = nodes;
    }

    public IReadOnlyList<RedisServer> Nodes => _nodes;

    /// <summary>host:port of every node (masters and replicas).</summary>
    public IEnumerable<string> EndPoints => _nodes.Select(n => n.EndPoint);

    /// <summary>Server settings of a cluster node; the cluster bus gets its own free port (port + 10000 may not be free).</summary>
    public static IReadOnlyList<string> NodeArgs(bool requireFullCoverage = true) =>
    [
        "--cluster-enabled", "yes",
        "--cluster-port", FreePort.Next().ToString(CultureInfo.InvariantCulture),
        "--cluster-config-file", "nodes.conf",
        "--cluster-node-timeout", NodeTimeoutMs.ToString(CultureInfo.InvariantCulture),
        "--cluster-require-full-coverage", requireFullCoverage ? "yes" : "no",
        // Redis waits 5 s before a diskless full sync to gather replicas; a replica that never synced cannot be promoted.
        "--repl-diskless-sync-delay", "0",
    ];

    /// <summary>
    /// Starts six nodes, creates the cluster and waits until every node reports <c>cluster_state:ok</c> and every
    /// master has its replica connected. <paramref name="requireFullCoverage"/> false lets the healthy shards serve
    /// while one shard has no master (Redis's <c>cluster-require-full-coverage no</c>).
    /// </summary>
    public static async Task<RedisCluster> StartAsync(bool requireFullCoverage = true, string? password = null)
    {
        var nodes = new List<RedisServer>();
        try
        {
            var starting = new Task<RedisServer>[6];
            for (int i = 0; i < starting.Length; i++)
            {
                // A replica authenticates to its master with masterauth.
                starting[i] = RedisServer.StartAsync(password, () => password is null
                    ? NodeArgs(requireFullCoverage)
                    : [.. NodeArgs(requireFullCoverage), "--masterauth", password]);
            }

            foreach (var task in starting)
            {
                try
                {
                    nodes.Add(await task);
                }
                catch
                {
                    foreach (var other in starting)
                    {
                        if (other.IsCompletedSuccessfully && !nodes.Contains(other.Result))
                        {
                            nodes.Add(other.Result);
                        }
                    }

                    throw;
                }
            }

            var args = password is null ? new List<string>() : ["-a", password, "--no-auth-warning"];
            args.AddRange(["--cluster", "create"]);
            args.AddRange(nodes.Select(n => n.EndPoint));
            args.AddRange(["--cluster-replicas", "1", "--cluster-yes"]);
            await ProcessRunner.RunAsync("redis-cli", args, TimeSpan.FromSeconds(60));
            var cluster = new RedisCluster(nodes);
            await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(60));
            return cluster;
        }
        catch
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>Waits until every running node says <c>cluster_state:ok</c> and every master has a connected replica.</summary>
    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        await Eventually.TrueAsync(async () =>
        {
            foreach (var node in _nodes)
            {
                if (!(await node.CliAsync("CLUSTER", "INFO")).Contains("cluster_state:ok", StringComparison.Ordinal))
                {
                    return false;
                }

                string replication = await node.CliAsync("INFO", "replication");
                // A replica that has not finished its first sync cannot take over (its data counts as too old).
                if (replication.Contains("role:master", StringComparison.Ordinal)
                    ? !replication.Contains("state=online", StringComparison.Ordinal)
                    : !replication.Contains("master_link_status:up", StringComparison.Ordinal))
                {
                    return false;
                }
            }

            return true;
        }, timeout, "every cluster node to report cluster_state:ok and every master an online (synced) replica");
    }

    /// <summary>The masters with their slot ranges, as <c>CLUSTER SHARDS</c> text is hard to read: from <c>CLUSTER NODES</c>.</summary>
    public async Task<IReadOnlyList<ClusterNodeInfo>> NodesAsync(RedisServer? askNode = null)
    {
        var ask = askNode ?? _nodes.First(n => n.IsRunning);
        return ClusterNodeInfo.Parse(await ask.CliAsync("CLUSTER", "NODES"));
    }

    public RedisServer NodeOnPort(int port) => _nodes.First(n => n.Port == port);

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }
}

/// <summary>One line of <c>CLUSTER NODES</c>: the node's id and port, master or not, failed or not, its master's id, its slot ranges.</summary>
internal sealed record ClusterNodeInfo(string Id, int Port, bool IsMaster, bool IsFailed, string MasterId, string[] Slots)
{
    public static IReadOnlyList<ClusterNodeInfo> Parse(string clusterNodes)
    {
        var result = new List<ClusterNodeInfo>();
        foreach (var line in clusterNodes.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // <id> <ip:port@cport> <flags> <master> <ping-sent> <pong-recv> <config-epoch> <link-state> <slot> <slot> ...
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string address = parts[1].Split('@')[0];
            int port = int.Parse(address[(address.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
            var flags = parts[2].Split(',');
            result.Add(new ClusterNodeInfo(parts[0], port, flags.Contains("master"), flags.Contains("fail") || flags.Contains("fail?"), parts[3], parts[8..]));
        }

        return result;
    }
}
