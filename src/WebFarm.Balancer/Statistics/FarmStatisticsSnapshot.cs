namespace WebFarm.Balancer.Statistics;

/// <summary>
/// An immutable copy of a farm's statistics: totals over its current servers, farm-wide response-time
/// percentiles (the servers' histograms merged, not averaged), the farm-level counters, and each server.
/// </summary>
/// <param name="NoServerAvailable">Requests answered 503 because no server could take them.</param>
/// <param name="QueueRejections">Requests refused because a server's queue was full or its queue timeout passed.</param>
/// <param name="ClientAborts">Requests the client abandoned before the response completed (not counted against servers).</param>
public sealed record FarmStatisticsSnapshot(
    string Farm,
    long Requests,
    long Responses1xx,
    long Responses2xx,
    long Responses3xx,
    long Responses4xx,
    long Responses5xx,
    long ResponsesOther,
    long TransportFailures,
    long BytesIn,
    long BytesOut,
    int InFlight,
    double RequestsPerSecond,
    ResponseTimePercentiles ResponseTime,
    long NoServerAvailable,
    long QueueRejections,
    long ClientAborts,
    IReadOnlyList<ServerStatisticsSnapshot> Servers);
