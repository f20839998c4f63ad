namespace WebFarm.Balancer.Statistics;

// STUB: the statistics helper replaces this file, keeping these public members.
public sealed class ServerStatistics
{
    public ServerStatistics(string farm, string server, BalancerMetrics? metrics)
    {
        Farm = farm;
        Server = server;
        _ = metrics;
    }

    public string Farm { get; }

    public string Server { get; }

    /// <summary>Exponentially weighted moving average of response time in milliseconds (0 before any response).</summary>
    public double ResponseTimeEwmaMs => 0;

    /// <summary>Records a request that got a response from the server.</summary>
    public void RecordResponse(int statusCode, TimeSpan elapsed, long bytesIn, long bytesOut) { }

    /// <summary>Records a request that failed at the transport level (connect, reset, timeout).</summary>
    public void RecordTransportFailure(TimeSpan elapsed) { }
}
