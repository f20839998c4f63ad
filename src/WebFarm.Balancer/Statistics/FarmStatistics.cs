using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Statistics;

/// <summary>
/// Farm-level counters (requests that never reached a server) and the farm's aggregate view over its
/// servers' statistics. Per-server counters live in <see cref="ServerStatistics"/>; the farm totals are
/// computed at snapshot time from the servers currently in the farm.
/// </summary>
public sealed class FarmStatistics
{
    private readonly BalancerMetrics? _metrics;
    private long _noServerAvailable;
    private long _queueRejections;
    private long _clientAborts;

    public FarmStatistics(string farm, BalancerMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(farm);
        Farm = farm;
        _metrics = metrics;
    }

    public string Farm { get; }

    public long NoServerAvailable => Volatile.Read(ref _noServerAvailable);

    public long QueueRejections => Volatile.Read(ref _queueRejections);

    public long ClientAborts => Volatile.Read(ref _clientAborts);

    /// <summary>A request was answered 503 because no server was available.</summary>
    public void RecordNoServerAvailable()
    {
        Interlocked.Increment(ref _noServerAvailable);
        _metrics?.RecordNoServerAvailable(Farm);
    }

    /// <summary>A request was refused because the queue was full or it waited longer than the queue timeout.</summary>
    public void RecordQueueRejection()
    {
        Interlocked.Increment(ref _queueRejections);
        _metrics?.RecordQueueRejection(Farm);
    }

    /// <summary>The client went away before its response completed.</summary>
    public void RecordClientAbort()
    {
        Interlocked.Increment(ref _clientAborts);
        _metrics?.RecordClientAbort(Farm);
    }

    /// <summary>Captures the farm counters and every server in <paramref name="servers"/> (config order).</summary>
    public FarmStatisticsSnapshot Snapshot(IReadOnlyList<ServerRuntime> servers)
    {
        ArgumentNullException.ThrowIfNull(servers);
        var snapshots = new ServerStatisticsSnapshot[servers.Count];
        var bins = new long[LatencyBins.Count];
        long samples = 0;
        long requests = 0, r1 = 0, r2 = 0, r3 = 0, r4 = 0, r5 = 0, other = 0, failures = 0, bytesIn = 0, bytesOut = 0;
        var inFlight = 0;
        var rate = 0.0;
        for (var i = 0; i < servers.Count; i++)
        {
            var s = servers[i].Statistics.Snapshot(servers[i]);
            snapshots[i] = s;
            requests += s.Requests;
            r1 += s.Responses1xx;
            r2 += s.Responses2xx;
            r3 += s.Responses3xx;
            r4 += s.Responses4xx;
            r5 += s.Responses5xx;
            other += s.ResponsesOther;
            failures += s.TransportFailures;
            bytesIn += s.BytesIn;
            bytesOut += s.BytesOut;
            inFlight += s.InFlight;
            rate += s.RequestsPerSecond;
            samples += servers[i].Statistics.AddHistogram(bins);
        }

        return new FarmStatisticsSnapshot(
            Farm, requests, r1, r2, r3, r4, r5, other, failures, bytesIn, bytesOut, inFlight, rate,
            ResponseTimePercentiles.From(bins, samples),
            NoServerAvailable, QueueRejections, ClientAborts, snapshots);
    }
}
