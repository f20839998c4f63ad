using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Statistics;

/// <summary>
/// Counters and response-time statistics of one server, updated by the forwarder on every request
/// (Interlocked, no locks, no allocation) and read by the policies, the admin API and /metrics.
/// </summary>
public sealed class ServerStatistics
{
    /// <summary>Smoothing factor of the response-time average: each new sample counts for 20%.</summary>
    private const double EwmaAlpha = 0.2;

    private readonly BalancerMetrics? _metrics;
    private readonly TimeProvider _time;
    private readonly SlidingLatencyWindow _window;
    private readonly long[] _statusClasses = new long[StatusClass.Count];
    private long _transportFailures;
    private long _bytesIn;
    private long _bytesOut;
    private long _connections;
    private long _responseTimeSamples;
    private long _ewmaBits; // double stored as bits so it can be updated with CompareExchange

    public ServerStatistics(string farm, string server, BalancerMetrics? metrics)
        : this(farm, server, metrics, TimeProvider.System)
    {
    }

    public ServerStatistics(string farm, string server, BalancerMetrics? metrics, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        Farm = farm;
        Server = server;
        _metrics = metrics;
        _time = time;
        _window = new SlidingLatencyWindow(time);
    }

    public string Farm { get; }

    public string Server { get; }

    /// <summary>Exponentially weighted moving average of response time in milliseconds (0 before any response).</summary>
    public double ResponseTimeEwmaMs => BitConverter.Int64BitsToDouble(Volatile.Read(ref _ewmaBits));

    /// <summary>Number of responses that fed <see cref="ResponseTimeEwmaMs"/>.</summary>
    public long ResponseTimeSamples => Volatile.Read(ref _responseTimeSamples);

    /// <summary>Completed attempts: responses of any status plus transport failures.</summary>
    public long Requests
    {
        get
        {
            long total = Volatile.Read(ref _transportFailures);
            for (var i = 0; i < StatusClass.Count; i++)
            {
                total += Volatile.Read(ref _statusClasses[i]);
            }

            return total;
        }
    }

    public long TransportFailures => Volatile.Read(ref _transportFailures);

    /// <summary>Request body bytes sent to the server.</summary>
    public long BytesIn => Volatile.Read(ref _bytesIn);

    /// <summary>Response body bytes received from the server (and relayed to the client).</summary>
    public long BytesOut => Volatile.Read(ref _bytesOut);

    /// <summary>TCP connections made to the server for clients (TCP farms; 0 for HTTP farms).</summary>
    public long Connections => Volatile.Read(ref _connections);

    /// <summary>A TCP connection to the server was made for a client.</summary>
    public void RecordConnection() => Interlocked.Increment(ref _connections);

    /// <summary>Bytes a TCP connection sent to the server (counted as they go, so long connections show progress).</summary>
    public void AddBytesIn(int bytes) => Interlocked.Add(ref _bytesIn, bytes);

    /// <summary>Bytes a TCP connection received from the server and relayed to the client.</summary>
    public void AddBytesOut(int bytes) => Interlocked.Add(ref _bytesOut, bytes);

    /// <summary>Records a request that got a response from the server.</summary>
    /// <param name="elapsed">From sending the request to the end of the response.</param>
    /// <param name="bytesIn">Request body bytes sent to the server.</param>
    /// <param name="bytesOut">Response body bytes received from the server.</param>
    public void RecordResponse(int statusCode, TimeSpan elapsed, long bytesIn, long bytesOut)
        => RecordResponse(statusCode, elapsed, bytesIn, bytesOut, _time.GetTimestamp());

    /// <summary>
    /// <see cref="RecordResponse(int, TimeSpan, long, long)"/> for a caller that has just read the clock to time the
    /// attempt: <paramref name="now"/> (a timestamp of this statistics' clock; the balancer's servers count on
    /// <see cref="TimeProvider.System"/>, whose timestamps are <see cref="System.Diagnostics.Stopwatch"/>'s) picks the
    /// window's second, so the request costs one clock read less (each is a clock_gettime call).
    /// </summary>
    public void RecordResponse(int statusCode, TimeSpan elapsed, long bytesIn, long bytesOut, long now)
    {
        var statusClass = StatusClass.IndexOf(statusCode);
        Interlocked.Increment(ref _statusClasses[statusClass]);
        if (bytesIn > 0)
        {
            Interlocked.Add(ref _bytesIn, bytesIn);
        }

        if (bytesOut > 0)
        {
            Interlocked.Add(ref _bytesOut, bytesOut);
        }

        _window.Record(elapsed, now);
        UpdateEwma(elapsed.TotalMilliseconds);
        _metrics?.RecordResponse(Farm, Server, statusClass, elapsed, bytesIn, bytesOut);
    }

    /// <summary>Records a request that failed at the transport level (connect, reset, timeout).</summary>
    public void RecordTransportFailure(TimeSpan elapsed)
    {
        Interlocked.Increment(ref _transportFailures);
        // Counted in requests/s but not in the response-time histogram: a refused connection is fast and
        // would make a failing server look like the quickest one.
        _window.Record(null);
        _metrics?.RecordTransportFailure(Farm, Server, elapsed);
    }

    /// <summary>Responses with status <paramref name="statusClass"/>xx (1..5); 0 for codes outside 100-599.</summary>
    public long ResponsesOfClass(int statusClass)
        => statusClass is >= 0 and < StatusClass.Count ? Volatile.Read(ref _statusClasses[statusClass]) : 0;

    /// <summary>Requests completed per second over the last 10 complete seconds.</summary>
    public double RequestsPerSecond => _window.RequestsPerSecond(10);

    /// <summary>Response-time percentiles over the sliding window (the last 60 seconds).</summary>
    public ResponseTimePercentiles Percentiles
    {
        get
        {
            Span<long> bins = stackalloc long[LatencyBins.Count];
            var total = _window.AddHistogram(bins);
            return ResponseTimePercentiles.From(bins, total);
        }
    }

    /// <summary>Adds this server's window histogram into a farm-wide one.</summary>
    internal long AddHistogram(Span<long> bins) => _window.AddHistogram(bins);

    /// <summary>Adds the histogram of the last <paramref name="seconds"/> seconds (1-60) into <paramref name="bins"/>.</summary>
    internal long AddHistogram(Span<long> bins, int seconds) => _window.AddHistogram(bins, seconds);

    /// <summary>5xx responses plus transport failures since the server joined: what the dashboard calls errors.</summary>
    public long Errors => ResponsesOfClass(5) + TransportFailures;

    /// <summary>An immutable copy of the counters together with the server's live state.</summary>
    public ServerStatisticsSnapshot Snapshot(ServerRuntime server)
    {
        ArgumentNullException.ThrowIfNull(server);
        var p = Percentiles;
        return new ServerStatisticsSnapshot(
            Farm: Farm,
            Server: Server,
            State: server.State,
            Healthy: server.Healthy,
            Backup: server.Backup,
            Weight: server.Weight,
            EffectiveWeight: server.EffectiveWeight,
            InFlight: server.InFlight,
            Requests: Requests,
            Responses1xx: ResponsesOfClass(1),
            Responses2xx: ResponsesOfClass(2),
            Responses3xx: ResponsesOfClass(3),
            Responses4xx: ResponsesOfClass(4),
            Responses5xx: ResponsesOfClass(5),
            ResponsesOther: ResponsesOfClass(0),
            TransportFailures: TransportFailures,
            BytesIn: BytesIn,
            BytesOut: BytesOut,
            RequestsPerSecond: RequestsPerSecond,
            ResponseTime: p,
            ResponseTimeEwmaMs: ResponseTimeEwmaMs)
        {
            LastHealthCheck = server.LastHealthCheck,
            Connections = Connections,
        };
    }

    private void UpdateEwma(double sampleMs)
    {
        // The first sample sets the average; later ones move it by EwmaAlpha. Lock-free via CompareExchange
        // on the bits; a lost race just retries with the newer average.
        var first = Interlocked.Increment(ref _responseTimeSamples) == 1;
        while (true)
        {
            var currentBits = Volatile.Read(ref _ewmaBits);
            var current = BitConverter.Int64BitsToDouble(currentBits);
            var next = first || currentBits == 0 ? sampleMs : current + (EwmaAlpha * (sampleMs - current));
            if (Interlocked.CompareExchange(ref _ewmaBits, BitConverter.DoubleToInt64Bits(next), currentBits) == currentBits)
            {
                return;
            }

            first = false;
        }
    }
}
