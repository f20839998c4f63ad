using System.Diagnostics;
using System.Globalization;
using System.Text;
using WebFarm.State.Hosting;
using WebFarm.State.Replication;

namespace WebFarm.State.Commands;

/// <summary>Builds INFO text with Redis's section and field names, so dashboards and tools read it unchanged.</summary>
internal static class InfoReport
{
    private static readonly string[] DefaultSections = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "keyspace"];

    public static string Build(ServerContext server, IReadOnlyList<string> requested)
    {
        var sections = requested.Count == 0 || requested.Any(s => s is "all" or "everything" or "default")
            ? DefaultSections
            : [.. requested];
        var text = new StringBuilder();
        foreach (var section in sections)
        {
            var before = text.Length;
            if (text.Length > 0)
            {
                text.Append("\r\n");
            }

            var headerAt = text.Length;
            switch (section)
            {
                case "server":
                    Server(server, text.Append("# Server\r\n"));
                    break;
                case "clients":
                    text.Append("# Clients\r\n");
                    Line(text, "connected_clients", server.Clients.Count);
                    Line(text, "blocked_clients", 0);
                    break;
                case "memory":
                    Memory(server, text.Append("# Memory\r\n"));
                    break;
                case "persistence":
                    Persistence(server, text.Append("# Persistence\r\n"));
                    break;
                case "stats":
                    Stats(server, text.Append("# Stats\r\n"));
                    break;
                case "replication":
                    Replication(server, text.Append("# Replication\r\n"));
                    break;
                case "cpu":
                    var process = Process.GetCurrentProcess();
                    text.Append("# CPU\r\n");
                    Line(text, "used_cpu_sys", process.PrivilegedProcessorTime.TotalSeconds.ToString("F6", CultureInfo.InvariantCulture));
                    Line(text, "used_cpu_user", process.UserProcessorTime.TotalSeconds.ToString("F6", CultureInfo.InvariantCulture));
                    break;
                case "keyspace":
                    text.Append("# Keyspace\r\n");
                    if (server.Store.Keys.Count > 0)
                    {
                        Line(text, "db0", $"keys={server.Store.Keys.Count},expires={server.Store.Keys.VolatileCount},avg_ttl=0");
                    }

                    break;
                default:
                    text.Length = before;
                    break;
            }
        }

        return text.ToString();
    }

    private static void Server(ServerContext server, StringBuilder text)
    {
        var uptime = (Environment.TickCount64 - server.StartedAtTicks) / 1000;
        Line(text, "redis_version", ServerInfo.CompatibleVersion);
        Line(text, "server_name", "webfarm-state");
        Line(text, "webfarm_version", typeof(InfoReport).Assembly.GetName().Version?.ToString() ?? "0");
        Line(text, "redis_mode", "standalone");
        Line(text, "os", System.Runtime.InteropServices.RuntimeInformation.OSDescription);
        Line(text, "arch_bits", IntPtr.Size * 8);
        Line(text, "multiplexing_api", "dotnet-sockets");
        Line(text, "process_id", Environment.ProcessId);
        Line(text, "run_id", server.RunId);
        Line(text, "tcp_port", server.Port);
        Line(text, "uptime_in_seconds", uptime);
        Line(text, "uptime_in_days", uptime / 86400);
    }

    private static void Memory(ServerContext server, StringBuilder text)
    {
        var used = server.Store.Keys.UsedBytes;
        var max = server.Store.MaxMemory;
        Line(text, "used_memory", used);
        Line(text, "used_memory_human", Human(used));
        Line(text, "used_memory_rss", Environment.WorkingSet);
        Line(text, "used_memory_rss_human", Human(Environment.WorkingSet));
        Line(text, "used_memory_dataset", used);
        Line(text, "gc_heap_size", GC.GetTotalMemory(false));
        Line(text, "maxmemory", max);
        Line(text, "maxmemory_human", Human(max));
        Line(text, "maxmemory_policy", Storage.MaxMemoryPolicyName.Format(server.Store.Policy));
        Line(text, "maxmemory_samples", server.Store.EvictionSamples);
    }

    private static void Persistence(ServerContext server, StringBuilder text)
    {
        var log = server.Log;
        Line(text, "loading", 0);
        Line(text, "rdb_changes_since_last_save", 0);
        Line(text, "aof_enabled", log is null ? 0 : 1);
        Line(text, "aof_rewrite_in_progress", log?.RewriteInProgress == true ? 1 : 0);
        Line(text, "aof_rewrites", log?.Rewrites ?? 0);
        Line(text, "aof_last_bgrewrite_status", log?.LastRewriteOk == false ? "err" : "ok");
        Line(text, "aof_last_write_status", log?.LastWriteOk == false ? "err" : "ok");
        if (log is not null)
        {
            Line(text, "aof_current_size", log.BaseSize + log.IncrSize);
            Line(text, "aof_base_size", log.BaseSize);
            Line(text, "aof_fsync_policy", log.Policy.ToString().ToLowerInvariant());
        }
    }

    private static void Stats(ServerContext server, StringBuilder text)
    {
        Line(text, "total_connections_received", Interlocked.Read(ref server.TotalConnections));
        Line(text, "total_commands_processed", server.Store.Commands);
        Line(text, "expired_keys", server.Store.ExpiredKeys);
        Line(text, "evicted_keys", server.Store.EvictedKeys);
        Line(text, "rejected_writes", server.Store.RejectedWrites);
        Line(text, "keyspace_hits", server.Store.Hits);
        Line(text, "keyspace_misses", server.Store.Misses);
        Line(text, "pubsub_channels", server.Store.PubSub.ChannelCount);
        Line(text, "pubsub_patterns", server.Store.PubSub.PatternCount);
        Line(text, "dropped_slow_clients", Interlocked.Read(ref server.DroppedSlowClients));
        Line(text, "total_error_replies_protocol", Interlocked.Read(ref server.ProtocolErrors));
        Line(text, "key_walks_running", Interlocked.Read(ref server.RunningKeyWalks));
    }

    private static void Replication(ServerContext server, StringBuilder text)
    {
        var replication = server.Replication;
        if (replication.Role == ReplicationRole.Master)
        {
            Line(text, "role", "master");
            Line(text, "connected_slaves", replication.Peers.Count);
            var i = 0;
            foreach (var peer in replication.Peers)
            {
                var state = peer.State == ReplicaPeerState.Online ? "online" : "wait_bgsave";
                Line(text, $"slave{i++}", $"ip={ReplicationCommands.HostOf(peer.Address)},port={peer.ListeningPort},state={state},offset={peer.AckOffset},lag={ReplicationCommands.SecondsSince(peer.LastAckMs)}");
            }
        }
        else
        {
            var link = replication.Link!;
            Line(text, "role", "slave");
            Line(text, "master_host", link.Host);
            Line(text, "master_port", link.Port);
            Line(text, "master_link_status", ReplicationCommands.LinkStatus(link));
            Line(text, "master_last_io_seconds_ago", link.State == ReplicaLinkState.Connected ? ReplicationCommands.SecondsSince(link.LastIoTicks) : -1);
            Line(text, "master_sync_in_progress", link.State == ReplicaLinkState.Syncing ? 1 : 0);
            Line(text, "slave_read_repl_offset", link.Offset);
            Line(text, "slave_repl_offset", link.Offset);
            Line(text, "slave_priority", 100);
            Line(text, "slave_read_only", 1);
            Line(text, "master_full_syncs", link.SyncCount);
            Line(text, "connected_slaves", 0);
        }

        Line(text, "master_replid", replication.ReplId);
        Line(text, "master_repl_offset", replication.Offset);
        var backlog = replication.Backlog;
        Line(text, "repl_backlog_active", backlog is null ? 0 : 1);
        Line(text, "repl_backlog_size", backlog?.Size ?? server.Options.ReplicationBacklogBytes);
        Line(text, "repl_backlog_first_byte_offset", backlog is null ? 0 : backlog.StartOffset + 1);
        Line(text, "repl_backlog_histlen", backlog?.Length ?? 0);
    }

    private static void Line(StringBuilder text, string name, object value)
        => text.Append(name).Append(':').Append(Convert.ToString(value, CultureInfo.InvariantCulture)).Append("\r\n");

    private static string Human(long bytes)
        => bytes >= 1 << 30 ? $"{bytes / (double)(1 << 30):F2}G"
        : bytes >= 1 << 20 ? $"{bytes / (double)(1 << 20):F2}M"
        : bytes >= 1 << 10 ? $"{bytes / 1024.0:F2}K"
        : $"{bytes}B";
}
