using WebFarm.Balancer.LoadBalancing;

namespace WebFarm.Balancer.Tests.LoadBalancing;

public class RoundRobinPolicyTests
{
    [Fact]
    public void Smooth_weighted_round_robin_is_exact_in_every_cycle_and_interleaves()
    {
        var policy = new RoundRobinPolicy();
        var servers = TestServers.Create(1, 2, 5);
        var context = TestServers.ContextFor(0);
        var sequence = new List<int>();

        for (var cycle = 0; cycle < 50; cycle++)
        {
            var counts = new int[3];
            for (var i = 0; i < 8; i++)
            {
                var index = Array.IndexOf(servers, policy.Choose(context, servers));
                counts[index]++;
                sequence.Add(index);
            }

            Assert.Equal([1, 2, 5], counts);
        }

        // "Smooth": the weight-5 server never gets its whole share in one burst.
        var longestRun = 0;
        var run = 0;
        for (var i = 0; i < sequence.Count; i++)
        {
            run = i > 0 && sequence[i] == sequence[i - 1] ? run + 1 : 1;
            longestRun = Math.Max(longestRun, run);
        }

        Assert.True(longestRun <= 2, $"longest run of one server was {longestRun}");
    }

    [Fact]
    public void Equal_weights_rotate_in_configuration_order()
    {
        var policy = new RoundRobinPolicy();
        var servers = TestServers.Create(1, 1, 1);
        var context = TestServers.ContextFor(0);

        var picks = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            picks.Add(policy.Choose(context, servers)!.Name);
        }

        Assert.Equal(["web1", "web2", "web3", "web1", "web2", "web3"], picks);
    }

    [Fact]
    public void Weight_change_is_exact_from_the_next_cycle_on()
    {
        var policy = new RoundRobinPolicy();
        var servers = TestServers.Create(1, 1, 1);
        var context = TestServers.ContextFor(0);
        for (var i = 0; i < 3; i++)
        {
            policy.Choose(context, servers);
        }

        servers[1].Weight = 3;
        var counts = new int[3];
        for (var i = 0; i < 5 * 100; i++)
        {
            counts[Array.IndexOf(servers, policy.Choose(context, servers))]++;
        }

        Assert.Equal([100, 300, 100], counts);
    }

    [Fact]
    public void Concurrent_picks_keep_exact_totals()
    {
        var policy = new RoundRobinPolicy();
        var servers = TestServers.Create(1, 2, 5);
        var counts = new int[3];

        Parallel.For(0, 4, _ =>
        {
            var context = TestServers.ContextFor(0);
            for (var i = 0; i < 8 * 2_500; i++)
            {
                Interlocked.Increment(ref counts[Array.IndexOf(servers, policy.Choose(context, servers))]);
            }
        });

        // 80,000 picks = 10,000 whole cycles; the lock keeps the per-cycle accounting exact.
        Assert.Equal([10_000, 20_000, 50_000], counts);
    }
}
