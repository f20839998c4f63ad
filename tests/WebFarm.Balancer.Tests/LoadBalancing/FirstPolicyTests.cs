using WebFarm.Balancer.LoadBalancing;

namespace WebFarm.Balancer.Tests.LoadBalancing;

public class FirstPolicyTests
{
    [Fact]
    public void Always_the_first_candidate_in_configuration_order_with_weight()
    {
        var policy = new FirstPolicy();
        var servers = TestServers.Create(1, 5, 1);
        for (var i = 0; i < 100; i++)
        {
            Assert.Same(servers[0], policy.Choose(TestServers.ContextFor(i), servers));
        }

        servers[0].Weight = 0;
        Assert.Same(servers[1], policy.Choose(TestServers.ContextFor(0), servers));

        // When the farm filters web1 and web2 out (offline, unhealthy), the next in order takes over.
        Assert.Same(servers[2], policy.Choose(TestServers.ContextFor(0), servers.AsSpan(2)));

        servers[0].Weight = 1;
        Assert.Same(servers[0], policy.Choose(TestServers.ContextFor(0), servers));
    }
}
