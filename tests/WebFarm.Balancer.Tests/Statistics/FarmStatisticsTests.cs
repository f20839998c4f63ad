using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Statistics;

namespace WebFarm.Balancer.Tests.Statistics;

public class FarmStatisticsTests
{
    [Fact]
    public void Farm_snapshot_sums_servers_and_merges_their_histograms()
    {
        var web1 = new ServerRuntime("web", "web1", new Uri("http://127.0.0.1:1/"), 1, backup: false);
        var web2 = new ServerRuntime("web", "web2", new Uri("http://127.0.0.1:2/"), 2, backup: false) { State = ServerState.Draining };
        for (var i = 0; i < 90; i++)
        {
            web1.Statistics.RecordResponse(200, TimeSpan.FromMilliseconds(5), 10, 100);
        }

        for (var i = 0; i < 10; i++)
        {
            web2.Statistics.RecordResponse(502, TimeSpan.FromMilliseconds(800), 0, 30);
        }

        web2.Statistics.RecordTransportFailure(TimeSpan.FromSeconds(1));
        web1.IncrementInFlight();
        web2.IncrementInFlight();
        web2.IncrementInFlight();

        var farm = new FarmStatistics("web");
        farm.RecordNoServerAvailable();
        farm.RecordQueueRejection();
        farm.RecordQueueRejection();
        farm.RecordClientAbort();

        var s = farm.Snapshot([web1, web2]);
        Assert.Equal("web", s.Farm);
        Assert.Equal(101, s.Requests);
        Assert.Equal(90, s.Responses2xx);
        Assert.Equal(10, s.Responses5xx);
        Assert.Equal(1, s.TransportFailures);
        Assert.Equal(900, s.BytesIn);
        Assert.Equal(9300, s.BytesOut);
        Assert.Equal(3, s.InFlight);
        Assert.Equal((1, 2, 1), (s.NoServerAvailable, s.QueueRejections, s.ClientAborts));

        // Merged, not averaged: 90% of samples at 5 ms, the slowest 10% at 800 ms.
        Assert.Equal(100, s.ResponseTime.Samples);
        Assert.InRange(s.ResponseTime.P50Ms, 4.8, 5.2);
        Assert.InRange(s.ResponseTime.P95Ms, 775, 825);

        Assert.Equal(["web1", "web2"], s.Servers.Select(x => x.Server));
        Assert.Equal(ServerState.Draining, s.Servers[1].State);
        Assert.Equal(2, s.Servers[1].InFlight);
    }
}
