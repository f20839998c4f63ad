using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.FrontEnd;
using WebFarm.Balancer.Statistics;

namespace WebFarm.Balancer.Tests.Statistics;

public class BalancerMetricsTests
{
    [Fact]
    public void A_meter_listener_sees_every_instrument_with_its_tags()
    {
        using var metrics = new BalancerMetrics();
        var server = new ServerRuntime("web", "web1", new Uri("http://127.0.0.1:1/"), 1, backup: false, metrics);
        var farm = new FarmStatistics("web", metrics);
        metrics.ObserveServers(() => [server]);
        var frontEnd = new FrontEndStatistics();
        metrics.ObserveFrontEnd(frontEnd);
        var seen = new ConcurrentQueue<(string Instrument, double Value, Dictionary<string, string?> Tags)>();

        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // Only this test's Meter instance: other tests may create their own BalancerMetrics in parallel.
            if (ReferenceEquals(instrument.Meter, metrics.Meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => seen.Enqueue((i.Name, v, ToDictionary(tags))));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => seen.Enqueue((i.Name, v, ToDictionary(tags))));
        listener.SetMeasurementEventCallback<int>((i, v, tags, _) => seen.Enqueue((i.Name, v, ToDictionary(tags))));
        listener.Start();

        server.Statistics.RecordResponse(404, TimeSpan.FromMilliseconds(250), 12, 345);
        server.Statistics.RecordTransportFailure(TimeSpan.FromSeconds(1));
        farm.RecordNoServerAvailable();
        farm.RecordQueueRejection();
        farm.RecordClientAbort();
        server.IncrementInFlight();
        server.IncrementInFlight();
        frontEnd.RecordRequest();
        frontEnd.RecordRequest();
        frontEnd.RecordRequest();
        frontEnd.RecordHandOff();
        listener.RecordObservableInstruments();

        var byName = seen.ToLookup(m => m.Instrument);
        var request = Assert.Single(byName["webfarm.balancer.requests"]);
        Assert.Equal(1, request.Value);
        Assert.Equal("web", request.Tags["farm"]);
        Assert.Equal("web1", request.Tags["server"]);
        Assert.Equal("4xx", request.Tags["status_class"]);

        var duration = Assert.Single(byName["webfarm.balancer.request.duration"]);
        Assert.Equal(0.25, duration.Value, 9);
        Assert.Equal("4xx", duration.Tags["status_class"]);

        Assert.Equal(12, Assert.Single(byName["webfarm.balancer.bytes_in"]).Value);
        Assert.Equal(345, Assert.Single(byName["webfarm.balancer.bytes_out"]).Value);
        Assert.Equal("web1", Assert.Single(byName["webfarm.balancer.transport_failures"]).Tags["server"]);
        Assert.Equal("web", Assert.Single(byName["webfarm.balancer.no_server_available"]).Tags["farm"]);
        Assert.Single(byName["webfarm.balancer.queue_rejections"]);
        Assert.Single(byName["webfarm.balancer.client_aborts"]);

        Assert.Equal(3, Assert.Single(byName["webfarm.balancer.frontend.requests"]).Value);
        Assert.Equal(1, Assert.Single(byName["webfarm.balancer.frontend.handoffs"]).Value);

        var inFlight = Assert.Single(byName["webfarm.balancer.in_flight"]);
        Assert.Equal(2, inFlight.Value);
        Assert.Equal("web1", inFlight.Tags["server"]);
    }

    [Fact]
    public void Instruments_are_published_on_the_named_meter()
    {
        using var metrics = new BalancerMetrics();
        var names = new ConcurrentBag<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, _) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter))
            {
                names.Add(instrument.Name);
            }
        };
        listener.Start();

        Assert.Equal("WebFarm.Balancer", metrics.Meter.Name);
        Assert.Contains("webfarm.balancer.requests", names);
        Assert.Contains("webfarm.balancer.request.duration", names);
        Assert.Contains("webfarm.balancer.in_flight", names);
    }

    private static Dictionary<string, string?> ToDictionary(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var result = new Dictionary<string, string?>();
        foreach (var tag in tags)
        {
            result[tag.Key] = tag.Value?.ToString();
        }

        return result;
    }
}
