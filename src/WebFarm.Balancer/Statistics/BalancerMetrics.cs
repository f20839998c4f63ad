using System.Diagnostics;
using System.Diagnostics.Metrics;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Statistics;

/// <summary>
/// The balancer's System.Diagnostics.Metrics instruments, on a Meter named "WebFarm.Balancer" that this
/// object owns. One instance per balancer; pass it to every <see cref="ServerRuntime"/> and
/// <see cref="FarmStatistics"/> so the counters they record are also published.
/// </summary>
/// <remarks>
/// Instruments (tags: farm, server, status_class "1xx".."5xx"/"other"):
/// webfarm.balancer.requests (counter), webfarm.balancer.request.duration (histogram, seconds),
/// webfarm.balancer.transport_failures (counter; farm, server), webfarm.balancer.bytes_in / bytes_out
/// (counters, bytes; farm, server), webfarm.balancer.in_flight (observable gauge; farm, server),
/// webfarm.balancer.no_server_available, webfarm.balancer.queue_rejections, webfarm.balancer.client_aborts
/// (counters; farm), webfarm.balancer.frontend.requests / frontend.handoffs (observable counters, no tags). Recording checks <see cref="Instrument.Enabled"/> first, so with no listener the cost
/// is a field read; tags go through <see cref="TagList"/>, which does not allocate for three tags.
/// </remarks>
public sealed class BalancerMetrics : IDisposable
{
    public const string MeterName = "WebFarm.Balancer";

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _transportFailures;
    private readonly Counter<long> _bytesIn;
    private readonly Counter<long> _bytesOut;
    private readonly Counter<long> _noServerAvailable;
    private readonly Counter<long> _queueRejections;
    private readonly Counter<long> _clientAborts;
    private Func<IEnumerable<ServerRuntime>>? _servers;

    public BalancerMetrics()
    {
        Meter = new Meter(MeterName);
        _requests = Meter.CreateCounter<long>("webfarm.balancer.requests", "{request}", "Requests that got a response from a server.");
        _duration = Meter.CreateHistogram<double>("webfarm.balancer.request.duration", "s", "Time from sending a request to a server to the end of its response.");
        _transportFailures = Meter.CreateCounter<long>("webfarm.balancer.transport_failures", "{request}", "Requests that failed at the transport level (connect, reset, timeout).");
        _bytesIn = Meter.CreateCounter<long>("webfarm.balancer.bytes_in", "By", "Request body bytes sent to servers.");
        _bytesOut = Meter.CreateCounter<long>("webfarm.balancer.bytes_out", "By", "Response body bytes received from servers.");
        _noServerAvailable = Meter.CreateCounter<long>("webfarm.balancer.no_server_available", "{request}", "Requests answered 503 because no server was available.");
        _queueRejections = Meter.CreateCounter<long>("webfarm.balancer.queue_rejections", "{request}", "Requests refused by a full queue or a queue timeout.");
        _clientAborts = Meter.CreateCounter<long>("webfarm.balancer.client_aborts", "{request}", "Requests the client abandoned before the response completed.");
        Meter.CreateObservableGauge("webfarm.balancer.in_flight", ObserveInFlight, "{request}", "Requests currently being forwarded to a server.");
    }

    public Meter Meter { get; }

    /// <summary>
    /// Tells the in-flight gauge where the servers are (e.g. <c>() => runtime.Farms.Values.SelectMany(f => f.Servers)</c>).
    /// Called when a listener collects, never on the request path. Without it the gauge reports nothing.
    /// </summary>
    public void ObserveServers(Func<IEnumerable<ServerRuntime>> servers)
    {
        ArgumentNullException.ThrowIfNull(servers);
        Volatile.Write(ref _servers, servers);
    }

    /// <summary>Publishes the HTTP/1.1 front end's counters (webfarm.balancer.frontend.requests, .handoffs).</summary>
    public void ObserveFrontEnd(FrontEnd.FrontEndStatistics frontEnd)
    {
        ArgumentNullException.ThrowIfNull(frontEnd);
        Meter.CreateObservableCounter("webfarm.balancer.frontend.requests", () => frontEnd.Requests, "{request}", "Requests the HTTP/1.1 front end served itself, error answers included.");
        Meter.CreateObservableCounter("webfarm.balancer.frontend.handoffs", () => frontEnd.HandOffs, "{connection}", "Client connections the HTTP/1.1 front end handed to Kestrel's HTTP stack.");
    }

    public void Dispose() => Meter.Dispose();

    internal void RecordResponse(string farm, string server, int statusClass, TimeSpan elapsed, long bytesIn, long bytesOut)
    {
        if (_requests.Enabled || _duration.Enabled)
        {
            var tags = new TagList
            {
                { "farm", farm },
                { "server", server },
                { "status_class", StatusClass.NameOf(statusClass) },
            };
            _requests.Add(1, tags);
            _duration.Record(elapsed.TotalSeconds, tags);
        }

        if (bytesIn > 0 && _bytesIn.Enabled)
        {
            _bytesIn.Add(bytesIn, new KeyValuePair<string, object?>("farm", farm), new KeyValuePair<string, object?>("server", server));
        }

        if (bytesOut > 0 && _bytesOut.Enabled)
        {
            _bytesOut.Add(bytesOut, new KeyValuePair<string, object?>("farm", farm), new KeyValuePair<string, object?>("server", server));
        }
    }

    internal void RecordTransportFailure(string farm, string server, TimeSpan elapsed)
    {
        _ = elapsed;
        if (_transportFailures.Enabled)
        {
            _transportFailures.Add(1, new KeyValuePair<string, object?>("farm", farm), new KeyValuePair<string, object?>("server", server));
        }
    }

    internal void RecordNoServerAvailable(string farm) => AddFarmCounter(_noServerAvailable, farm);

    internal void RecordQueueRejection(string farm) => AddFarmCounter(_queueRejections, farm);

    internal void RecordClientAbort(string farm) => AddFarmCounter(_clientAborts, farm);

    private static void AddFarmCounter(Counter<long> counter, string farm)
    {
        if (counter.Enabled)
        {
            counter.Add(1, new KeyValuePair<string, object?>("farm", farm));
        }
    }

    private IEnumerable<Measurement<int>> ObserveInFlight()
    {
        var source = Volatile.Read(ref _servers);
        if (source is null)
        {
            return [];
        }

        var measurements = new List<Measurement<int>>();
        foreach (var server in source())
        {
            measurements.Add(new Measurement<int>(
                server.InFlight,
                new KeyValuePair<string, object?>("farm", server.Farm),
                new KeyValuePair<string, object?>("server", server.Name)));
        }

        return measurements;
    }
}
