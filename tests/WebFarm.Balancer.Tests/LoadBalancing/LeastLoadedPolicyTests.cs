using WebFarm.Balancer.Farms;
using WebFarm.Balancer.LoadBalancing;

namespace WebFarm.Balancer.Tests.LoadBalancing;

/// <summary>LeastRequests, LeastResponseTime and PowerOfTwoChoices react to load, not just weights.</summary>
public class LeastLoadedPolicyTests
{
    [Fact]
    public void LeastRequests_holds_in_flight_proportional_to_weight()
    {
        var policy = new LeastRequestsPolicy();
        var servers = TestServers.Create(1, 2, 5);

        // Requests that never finish: each pick adds one in-flight request to the chosen server.
        for (var i = 0; i < 80; i++)
        {
            policy.Choose(TestServers.ContextFor(i), servers)!.IncrementInFlight();
        }

        // In-flight ÷ weight is kept level: at most one request away from 10/20/50.
        Assert.InRange(servers[0].InFlight, 9, 11);
        Assert.InRange(servers[1].InFlight, 19, 21);
        Assert.InRange(servers[2].InFlight, 49, 51);
    }

    [Fact]
    public void LeastRequests_picks_the_server_with_fewest_in_flight_per_weight()
    {
        var policy = new LeastRequestsPolicy();
        var servers = TestServers.Create(1, 4);
        for (var i = 0; i < 3; i++)
        {
            servers[0].IncrementInFlight(); // 3 / 1 = 3
        }

        for (var i = 0; i < 8; i++)
        {
            servers[1].IncrementInFlight(); // 8 / 4 = 2
        }

        for (var i = 0; i < 100; i++)
        {
            Assert.Same(servers[1], policy.Choose(TestServers.ContextFor(i), servers));
        }

        for (var i = 0; i < 6; i++)
        {
            servers[1].IncrementInFlight(); // 14 / 4 = 3.5
        }

        Assert.Same(servers[0], policy.Choose(TestServers.ContextFor(0), servers));
    }

    [Fact]
    public void LeastRequests_spreads_ties_between_equal_servers()
    {
        var policy = new LeastRequestsPolicy();
        var servers = TestServers.Create(1, 1);
        var counts = TestServers.Count(policy, LoadBalancingAlgorithm.LeastRequests, servers, 2_000);

        PolicyShareTests.AssertShares(counts, [1, 1], tolerancePoints: 5);
    }

    [Fact]
    public void LeastResponseTime_prefers_the_faster_server()
    {
        var policy = new LeastResponseTimePolicy();
        var servers = TestServers.Create(1, 1);
        Record(servers[0], TimeSpan.FromMilliseconds(100), 5);
        Record(servers[1], TimeSpan.FromMilliseconds(10), 5);

        for (var i = 0; i < 100; i++)
        {
            Assert.Same(servers[1], policy.Choose(TestServers.ContextFor(i), servers));
        }
    }

    [Fact]
    public void LeastResponseTime_weighs_response_time_by_in_flight_and_weight()
    {
        var policy = new LeastResponseTimePolicy();
        var servers = TestServers.Create(1, 1);
        Record(servers[0], TimeSpan.FromMilliseconds(100), 5); // score 100 × (0 + 1) = 100
        Record(servers[1], TimeSpan.FromMilliseconds(10), 5);
        for (var i = 0; i < 20; i++)
        {
            servers[1].IncrementInFlight(); // score 10 × (20 + 1) = 210
        }

        Assert.Same(servers[0], policy.Choose(TestServers.ContextFor(0), servers));

        servers[1].Weight = 3; // 210 / 3 = 70 < 100
        Assert.Same(servers[1], policy.Choose(TestServers.ContextFor(0), servers));
    }

    [Fact]
    public void LeastResponseTime_probes_servers_without_samples_first()
    {
        var policy = new LeastResponseTimePolicy();
        var servers = TestServers.Create(1, 1, 1);
        Record(servers[0], TimeSpan.FromMilliseconds(2), 5);
        Record(servers[1], TimeSpan.FromMilliseconds(3), 5);

        Assert.Same(servers[2], policy.Choose(TestServers.ContextFor(0), servers));
    }

    [Fact]
    public void PowerOfTwoChoices_avoids_the_loaded_server_of_two()
    {
        var policy = new PowerOfTwoChoicesPolicy();
        var servers = TestServers.Create(1, 1);
        servers[0].IncrementInFlight();

        // With two servers, the two distinct picks are always both servers: the idle one must win.
        for (var i = 0; i < 200; i++)
        {
            Assert.Same(servers[1], policy.Choose(TestServers.ContextFor(i), servers));
        }
    }

    [Fact]
    public void PowerOfTwoChoices_keeps_in_flight_balanced_by_weight()
    {
        var policy = new PowerOfTwoChoicesPolicy();
        var servers = TestServers.Create(1, 1, 2);
        for (var i = 0; i < 400; i++)
        {
            policy.Choose(TestServers.ContextFor(i), servers)!.IncrementInFlight();
        }

        // Expected 100/100/200; two choices keep each within a small band (plain random would drift ~±20).
        Assert.InRange(servers[0].InFlight, 85, 115);
        Assert.InRange(servers[1].InFlight, 85, 115);
        Assert.InRange(servers[2].InFlight, 170, 230);
    }

    private static void Record(ServerRuntime server, TimeSpan elapsed, int count)
    {
        for (var i = 0; i < count; i++)
        {
            server.Statistics.RecordResponse(200, elapsed, 0, 100);
        }
    }
}
