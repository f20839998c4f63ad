using System.Globalization;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Statistics;

/// <summary>
/// Writes farm and server snapshots in the Prometheus text exposition format (version 0.0.4): for each
/// metric family a HELP and a TYPE line followed by all its samples, label values escaped. The admin
/// endpoint serves the result with <see cref="ContentType"/>.
/// </summary>
/// <remarks>
/// Counters are totals since the server joined; the *_requests_per_second and *_response_time_seconds
/// gauges are the balancer's own sliding windows (10 s and 60 s), exported because percentiles cannot be
/// recomputed from counters. Families are written one after another so that no family is split.
/// </remarks>
public static class PrometheusTextWriter
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private static readonly string[] s_statusClasses = ["1xx", "2xx", "3xx", "4xx", "5xx"];
    private static readonly (string Label, double Quantile)[] s_quantiles = [("0.5", 0.5), ("0.95", 0.95), ("0.99", 0.99)];

    /// <summary>Returns the exposition text for <paramref name="farms"/>.</summary>
    public static string Write(IEnumerable<FarmStatisticsSnapshot> farms, FrontEnd.FrontEndStatistics? frontEnd = null, IReadOnlyList<Tcp.TcpListenerStatistics>? tcpListeners = null, Caching.ResponseCaches? caches = null)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        Write(writer, farms);
        if (frontEnd is not null)
        {
            WriteFrontEnd(writer, frontEnd);
        }

        if (tcpListeners is { Count: > 0 })
        {
            WriteTcpListeners(writer, tcpListeners);
        }

        if (caches is not null)
        {
            WriteCaches(writer, caches);
        }

        return writer.ToString();
    }

    /// <summary>The HTTP/1.1 front end's counters (balancer-wide, no labels).</summary>
    public static void WriteFrontEnd(TextWriter writer, FrontEnd.FrontEndStatistics frontEnd)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(frontEnd);
        Family(writer, "webfarm_frontend_requests_total", "counter", "Requests the HTTP/1.1 front end served itself, error answers included.");
        writer.Write("webfarm_frontend_requests_total ");
        writer.Write(frontEnd.Requests.ToString(CultureInfo.InvariantCulture));
        writer.Write('\n');
        Family(writer, "webfarm_frontend_handoffs_total", "counter", "Client connections the HTTP/1.1 front end handed to Kestrel's HTTP stack.");
        writer.Write("webfarm_frontend_handoffs_total ");
        writer.Write(frontEnd.HandOffs.ToString(CultureInfo.InvariantCulture));
        writer.Write('\n');
        Unlabelled(writer, "webfarm_frontend_cache_hits_total", "counter", "Of the front end's requests, those answered from a route's response cache.", frontEnd.CacheHits);
    }

    /// <summary>The response caches' counters and size (balancer-wide, all routes, no labels).</summary>
    public static void WriteCaches(TextWriter writer, Caching.ResponseCaches caches)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(caches);
        var s = caches.Statistics;
        Unlabelled(writer, "webfarm_cache_hits_total", "counter", "Requests answered from a fresh cached copy (304s to conditional requests included).", s.Hits);
        Unlabelled(writer, "webfarm_cache_misses_total", "counter", "Cacheable requests that went to a server for a full response.", s.Misses);
        Unlabelled(writer, "webfarm_cache_stale_total", "counter", "Requests answered from a stale copy because no server could answer (stale-if-error).", s.Stale);
        Unlabelled(writer, "webfarm_cache_revalidated_total", "counter", "Stale copies a server confirmed with 304 and that were served.", s.Revalidated);
        Unlabelled(writer, "webfarm_cache_collapsed_total", "counter", "Requests answered by waiting for another request's fetch of the same key.", s.Collapsed);
        Unlabelled(writer, "webfarm_cache_stored_total", "counter", "Responses stored.", s.Stored);
        Unlabelled(writer, "webfarm_cache_evicted_total", "counter", "Entries removed to stay within a route's MaxMemory.", s.Evicted);
        Unlabelled(writer, "webfarm_cache_purged_total", "counter", "Entries removed through the admin API's purge.", s.Purged);
        Unlabelled(writer, "webfarm_cache_disk_hits_total", "counter", "Memory misses answered from a route's disk tier (promoted back to memory).", s.DiskHits);
        Unlabelled(writer, "webfarm_cache_disk_stored_total", "counter", "Entries evicted from memory and written to a route's disk tier.", s.DiskStored);
        Unlabelled(writer, "webfarm_cache_disk_evicted_total", "counter", "Files deleted to stay within a disk tier's MaxBytes.", s.DiskEvicted);
        Unlabelled(writer, "webfarm_cache_disk_corrupt_total", "counter", "Disk tier files found corrupt or truncated (deleted; the request was a miss).", s.DiskCorrupt);
        Unlabelled(writer, "webfarm_cache_waiting", "gauge", "Requests waiting now for another request's fetch of the same key.", s.Waiting);
        Unlabelled(writer, "webfarm_cache_entries", "gauge", "Entries in the response caches.", caches.Count);
        Unlabelled(writer, "webfarm_cache_bytes", "gauge", "Bytes accounted in the response caches.", caches.Bytes);
        Unlabelled(writer, "webfarm_cache_disk_bytes", "gauge", "Bytes of files in the response caches' disk tiers.", caches.DiskBytes);
    }

    private static void Unlabelled(TextWriter writer, string name, string type, string help, long value)
    {
        Family(writer, name, type, help);
        writer.Write(name);
        writer.Write(' ');
        writer.Write(value.ToString(CultureInfo.InvariantCulture));
        writer.Write('\n');
    }

    /// <summary>
    /// Writes the exposition text to <paramref name="writer"/>. Synchronous: in an ASP.NET Core endpoint call
    /// <see cref="Write(IEnumerable{FarmStatisticsSnapshot})"/> and write the string asynchronously.
    /// </summary>
    public static void Write(TextWriter writer, IEnumerable<FarmStatisticsSnapshot> farms)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(farms);
        var list = new List<FarmStatisticsSnapshot>(farms);
        var servers = new List<ServerStatisticsSnapshot>();
        foreach (var farm in list)
        {
            servers.AddRange(farm.Servers);
        }

        // Farm-level families.
        Family(writer, "webfarm_farm_requests_per_second", "gauge", "Requests completed per second over the last 10 seconds, all servers of the farm.");
        foreach (var f in list)
        {
            Sample(writer, "webfarm_farm_requests_per_second", f.Farm, null, null, null, f.RequestsPerSecond);
        }

        Family(writer, "webfarm_farm_in_flight", "gauge", "Requests currently being forwarded, all servers of the farm.");
        foreach (var f in list)
        {
            Sample(writer, "webfarm_farm_in_flight", f.Farm, null, null, null, f.InFlight);
        }

        Family(writer, "webfarm_farm_response_time_seconds", "gauge", "Response-time quantiles over the last 60 seconds, all servers of the farm.");
        foreach (var f in list)
        {
            foreach (var (label, q) in s_quantiles)
            {
                Sample(writer, "webfarm_farm_response_time_seconds", f.Farm, null, "quantile", label, Quantile(f.ResponseTime, q) / 1000.0);
            }
        }

        Family(writer, "webfarm_farm_no_server_available_total", "counter", "Requests answered 503 because no server was available.");
        foreach (var f in list)
        {
            Sample(writer, "webfarm_farm_no_server_available_total", f.Farm, null, null, null, f.NoServerAvailable);
        }

        Family(writer, "webfarm_farm_queue_rejections_total", "counter", "Requests refused by a full queue or a queue timeout.");
        foreach (var f in list)
        {
            Sample(writer, "webfarm_farm_queue_rejections_total", f.Farm, null, null, null, f.QueueRejections);
        }

        Family(writer, "webfarm_farm_client_aborts_total", "counter", "Requests the client abandoned before the response completed.");
        foreach (var f in list)
        {
            Sample(writer, "webfarm_farm_client_aborts_total", f.Farm, null, null, null, f.ClientAborts);
        }

        // Server-level families.
        Family(writer, "webfarm_server_requests_total", "counter", "Responses received from the server, by status class.");
        foreach (var s in servers)
        {
            long[] counts = [s.Responses1xx, s.Responses2xx, s.Responses3xx, s.Responses4xx, s.Responses5xx];
            for (var i = 0; i < counts.Length; i++)
            {
                Sample(writer, "webfarm_server_requests_total", s.Farm, s.Server, "status_class", s_statusClasses[i], counts[i]);
            }

            if (s.ResponsesOther > 0)
            {
                Sample(writer, "webfarm_server_requests_total", s.Farm, s.Server, "status_class", "other", s.ResponsesOther);
            }
        }

        ServerFamily(writer, servers, "webfarm_server_transport_failures_total", "counter", "Requests that failed at the transport level (connect, reset, timeout).", static s => s.TransportFailures);
        ServerFamily(writer, servers, "webfarm_server_bytes_in_total", "counter", "Request body bytes sent to the server (TCP farms: every byte sent).", static s => s.BytesIn);
        ServerFamily(writer, servers, "webfarm_server_bytes_out_total", "counter", "Response body bytes received from the server (TCP farms: every byte received).", static s => s.BytesOut);
        ServerFamily(writer, servers, "webfarm_server_in_flight", "gauge", "Requests currently being forwarded to the server (TCP farms: open connections).", static s => s.InFlight);
        ServerFamily(writer, servers, "webfarm_server_connections_total", "counter", "TCP connections made to the server for clients (TCP farms).", static s => s.Connections);
        ServerFamily(writer, servers, "webfarm_server_requests_per_second", "gauge", "Requests completed per second over the last 10 seconds.", static s => s.RequestsPerSecond);
        ServerFamily(writer, servers, "webfarm_server_response_time_ewma_seconds", "gauge", "Moving average of the response time (used by LeastResponseTime).", static s => s.ResponseTimeEwmaMs / 1000.0);

        Family(writer, "webfarm_server_response_time_seconds", "gauge", "Response-time quantiles over the last 60 seconds.");
        foreach (var s in servers)
        {
            foreach (var (label, q) in s_quantiles)
            {
                Sample(writer, "webfarm_server_response_time_seconds", s.Farm, s.Server, "quantile", label, Quantile(s.ResponseTime, q) / 1000.0);
            }
        }

        ServerFamily(writer, servers, "webfarm_server_weight", "gauge", "Configured weight.", static s => s.Weight);
        ServerFamily(writer, servers, "webfarm_server_effective_weight", "gauge", "Weight used by the policies (lower during slow start).", static s => s.EffectiveWeight);
        ServerFamily(writer, servers, "webfarm_server_healthy", "gauge", "1 when health checks pass, else 0.", static s => s.Healthy ? 1 : 0);
        // The last active check, only for servers that have one (absent series, not zeros, for unchecked servers).
        Family(writer, "webfarm_server_health_check_passed", "gauge", "1 when the last active health check passed, else 0.");
        foreach (var s in servers)
        {
            if (s.LastHealthCheck is { } check)
            {
                Sample(writer, "webfarm_server_health_check_passed", s.Farm, s.Server, null, null, check.Healthy ? 1 : 0);
            }
        }

        Family(writer, "webfarm_server_health_check_status", "gauge", "HTTP status of the last active health check (0 when no response arrived).");
        foreach (var s in servers)
        {
            if (s.LastHealthCheck is { } check)
            {
                Sample(writer, "webfarm_server_health_check_status", s.Farm, s.Server, null, null, check.StatusCode ?? 0);
            }
        }

        Family(writer, "webfarm_server_health_check_latency_seconds", "gauge", "Duration of the last active health check.");
        foreach (var s in servers)
        {
            if (s.LastHealthCheck is { } check)
            {
                Sample(writer, "webfarm_server_health_check_latency_seconds", s.Farm, s.Server, null, null, check.Latency.TotalSeconds);
            }
        }

        ServerFamily(writer, servers, "webfarm_server_backup", "gauge", "1 for a backup server, else 0.", static s => s.Backup ? 1 : 0);

        Family(writer, "webfarm_server_state", "gauge", "Administrative state: 1 for the current state, 0 for the others.");
        foreach (var s in servers)
        {
            foreach (var state in Enum.GetValues<ServerState>())
            {
                Sample(writer, "webfarm_server_state", s.Farm, s.Server, "state", state.ToString().ToLowerInvariant(), s.State == state ? 1 : 0);
            }
        }
    }

    /// <summary>The TCP listeners' counters, labelled with the listener's farm and address.</summary>
    public static void WriteTcpListeners(TextWriter writer, IReadOnlyList<Tcp.TcpListenerStatistics> listeners)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(listeners);
        TcpFamily(writer, listeners, "webfarm_tcp_connections_open", "gauge", "Client connections open on the TCP listener.", static l => l.Open);
        TcpFamily(writer, listeners, "webfarm_tcp_connections_total", "counter", "Client connections the TCP listener accepted.", static l => l.Total);
        TcpFamily(writer, listeners, "webfarm_tcp_over_limit_total", "counter", "Connections closed at once because the listener had MaxConnections open.", static l => l.OverLimit);
        TcpFamily(writer, listeners, "webfarm_tcp_no_server_total", "counter", "Connections closed because no server could take them.", static l => l.NoServer);
        TcpFamily(writer, listeners, "webfarm_tcp_idle_closed_total", "counter", "Connections closed after the farm's idle timeout.", static l => l.IdleClosed);
        TcpFamily(writer, listeners, "webfarm_tcp_drain_closed_total", "counter", "Connections closed because their server drained past the drain timeout or went offline.", static l => l.DrainClosed);
    }

    private static void TcpFamily(TextWriter writer, IReadOnlyList<Tcp.TcpListenerStatistics> listeners, string name, string type, string help, Func<Tcp.TcpListenerStatistics, double> value)
    {
        Family(writer, name, type, help);
        foreach (var l in listeners)
        {
            Sample(writer, name, l.Farm, null, "listener", l.Listener, value(l));
        }
    }

    private static double Quantile(ResponseTimePercentiles p, double q) => q switch
    {
        0.5 => p.P50Ms,
        0.95 => p.P95Ms,
        _ => p.P99Ms,
    };

    private static void ServerFamily(
        TextWriter writer, List<ServerStatisticsSnapshot> servers, string name, string type, string help, Func<ServerStatisticsSnapshot, double> value)
    {
        Family(writer, name, type, help);
        foreach (var s in servers)
        {
            Sample(writer, name, s.Farm, s.Server, null, null, value(s));
        }
    }

    private static void Family(TextWriter writer, string name, string type, string help)
    {
        writer.Write("# HELP ");
        writer.Write(name);
        writer.Write(' ');
        writer.Write(help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal));
        writer.Write('\n');
        writer.Write("# TYPE ");
        writer.Write(name);
        writer.Write(' ');
        writer.Write(type);
        writer.Write('\n');
    }

    private static void Sample(TextWriter writer, string name, string farm, string? server, string? extraLabel, string? extraValue, double value)
    {
        writer.Write(name);
        writer.Write("{farm=\"");
        WriteLabelValue(writer, farm);
        writer.Write('"');
        if (server is not null)
        {
            writer.Write(",server=\"");
            WriteLabelValue(writer, server);
            writer.Write('"');
        }

        if (extraLabel is not null)
        {
            writer.Write(',');
            writer.Write(extraLabel);
            writer.Write("=\"");
            WriteLabelValue(writer, extraValue ?? string.Empty);
            writer.Write('"');
        }

        writer.Write("} ");
        writer.Write(FormatValue(value));
        writer.Write('\n');
    }

    internal static string FormatValue(double value)
    {
        if (double.IsNaN(value))
        {
            return "NaN";
        }

        if (double.IsPositiveInfinity(value))
        {
            return "+Inf";
        }

        if (double.IsNegativeInfinity(value))
        {
            return "-Inf";
        }

        // Shortest round-trippable form, never an exponent-less culture-specific one.
        return value.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>Label values escape backslash, double quote and line feed (the format's only escapes).</summary>
    private static void WriteLabelValue(TextWriter writer, string value)
    {
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\':
                    writer.Write("\\\\");
                    break;
                case '"':
                    writer.Write("\\\"");
                    break;
                case '\n':
                    writer.Write("\\n");
                    break;
                default:
                    writer.Write(c);
                    break;
            }
        }
    }
}
