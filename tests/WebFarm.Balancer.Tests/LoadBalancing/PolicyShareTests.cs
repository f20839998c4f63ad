using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.LoadBalancing;

namespace WebFarm.Balancer.Tests.LoadBalancing;

/// <summary>Properties every weight-honouring policy must have.</summary>
public class PolicyShareTests
{
    public static TheoryData<LoadBalancingAlgorithm> WeightedAlgorithms => new()
    {
        LoadBalancingAlgorithm.RoundRobin,
        LoadBalancingAlgorithm.LeastRequests,
        LoadBalancingAlgorithm.LeastResponseTime,
        LoadBalancingAlgorithm.Random,
        LoadBalancingAlgorithm.PowerOfTwoChoices,
        LoadBalancingAlgorithm.ClientIp,
        LoadBalancingAlgorithm.ClientNetwork,
        LoadBalancingAlgorithm.Hash,
    };

    public static TheoryData<LoadBalancingAlgorithm> AllAlgorithms
    {
        get
        {
            var data = new TheoryData<LoadBalancingAlgorithm>();
            foreach (var algorithm in Enum.GetValues<LoadBalancingAlgorithm>())
            {
                data.Add(algorithm);
            }

            return data;
        }
    }

    // Tolerance: ±3 percentage points over 10,000 picks. For the random and hash-based policies the
    // standard deviation of a share is at most 0.5 points here, so this is a ~6 sigma bound (not flaky)
    // that still fails if weights were ignored (33% each) or inverted.
    [Theory]
    [MemberData(nameof(WeightedAlgorithms))]
    public void Share_of_traffic_follows_weights_1_2_5(LoadBalancingAlgorithm algorithm)
    {
        var servers = TestServers.Create(1, 2, 5);
        var counts = TestServers.Count(TestServers.Policy(algorithm), algorithm, servers, 10_000);

        AssertShares(counts, [1, 2, 5], tolerancePoints: 3);
    }

    [Theory]
    [MemberData(nameof(AllAlgorithms))]
    public void Empty_candidates_give_null(LoadBalancingAlgorithm algorithm)
    {
        var policy = TestServers.Policy(algorithm);

        Assert.Null(policy.Choose(TestServers.ContextFor(1), ReadOnlySpan<ServerRuntime>.Empty));
    }

    [Theory]
    [MemberData(nameof(AllAlgorithms))]
    public void All_zero_weights_give_null(LoadBalancingAlgorithm algorithm)
    {
        var policy = TestServers.Policy(algorithm);
        var servers = TestServers.Create(0, 0, 0);

        for (var i = 0; i < 100; i++)
        {
            Assert.Null(policy.Choose(TestServers.ContextFor(i), servers));
        }
    }

    [Theory]
    [MemberData(nameof(AllAlgorithms))]
    public void Zero_weight_server_is_never_chosen_and_weight_changes_apply_live(LoadBalancingAlgorithm algorithm)
    {
        var policy = TestServers.Policy(algorithm);
        var servers = TestServers.Create(1, 1, 1);

        servers[0].Weight = 0;
        var withoutFirst = TestServers.Count(policy, algorithm, servers, 3_000);
        Assert.Equal(0, withoutFirst[0]);

        // Same policy instance, same servers: the new weight counts from the next pick on.
        servers[0].Weight = 6;
        var afterRaise = TestServers.Count(policy, algorithm, servers, 8_000, offset: 3_000);
        if (algorithm == LoadBalancingAlgorithm.First)
        {
            Assert.Equal(8_000, afterRaise[0]);
        }
        else
        {
            AssertShares(afterRaise, [6, 1, 1], tolerancePoints: 3);
        }
    }

    [Theory]
    [MemberData(nameof(AllAlgorithms))]
    public void Only_ever_chooses_among_the_candidates_given(LoadBalancingAlgorithm algorithm)
    {
        var policy = TestServers.Policy(algorithm);
        var all = TestServers.Create(5, 1, 1, 1);
        var subset = all.AsSpan(1, 2).ToArray(); // the farm filtered web1 and web4 out

        for (var i = 0; i < 2_000; i++)
        {
            var chosen = policy.Choose(TestServers.ContextFor(i), subset);
            Assert.Contains(chosen, subset);
        }
    }

    [Theory]
    [MemberData(nameof(AllAlgorithms))]
    public void Choose_does_not_allocate(LoadBalancingAlgorithm algorithm)
    {
        var policy = TestServers.Policy(algorithm);
        var servers = TestServers.Create(1, 2, 5);
        var contexts = new HttpContext[64];
        for (var i = 0; i < contexts.Length; i++)
        {
            contexts[i] = algorithm == LoadBalancingAlgorithm.ClientNetwork ? TestServers.NetworkContextFor(i) : TestServers.ContextFor(i);
        }

        // Warm up (JIT, lazy statics, header dictionaries), then measure this thread's allocations.
        for (var i = 0; i < 1_000; i++)
        {
            policy.Choose(contexts[i % contexts.Length], servers);
        }

        // Up to three measured windows, passing at the first with no allocation. A policy that allocates per call
        // allocates in every window. One window can be disturbed from outside: the full suite (tests running in
        // parallel, collections) once reported an allocation here for ClientIp that 5 isolated runs did not reproduce.
        var windows = new List<long>();
        for (var window = 0; window < 3; window++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 1_000; i++)
            {
                policy.Choose(contexts[i % contexts.Length], servers);
            }

            windows.Add(GC.GetAllocatedBytesForCurrentThread() - before);
            if (windows[^1] == 0)
            {
                return;
            }
        }

        Assert.Fail($"{algorithm}: 1,000 choices allocated {string.Join(", ", windows)} bytes in three windows");
    }

    internal static void AssertShares(int[] counts, int[] weights, double tolerancePoints)
    {
        var total = counts.Sum();
        var weightTotal = weights.Sum();
        for (var i = 0; i < counts.Length; i++)
        {
            var share = 100.0 * counts[i] / total;
            var expected = 100.0 * weights[i] / weightTotal;
            Assert.True(
                Math.Abs(share - expected) <= tolerancePoints,
                $"server {i}: share {share:F2}% expected {expected:F2}% ± {tolerancePoints} (counts {string.Join("/", counts)})");
        }
    }
}
