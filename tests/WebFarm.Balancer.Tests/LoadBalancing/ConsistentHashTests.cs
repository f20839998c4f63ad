using WebFarm.Balancer.Farms;
using WebFarm.Balancer.LoadBalancing;

namespace WebFarm.Balancer.Tests.LoadBalancing;

/// <summary>
/// The remap bound of the hash-based policies: removing one of N servers moves only that server's keys
/// (about 1/N of them); everything else stays put, unlike NLB's full re-convergence.
/// </summary>
public class ConsistentHashTests
{
    private const int Keys = 10_000;

    [Fact]
    public void Removing_one_of_five_servers_moves_only_its_keys()
    {
        var policy = new HashPolicy(HashKeySpec.Parse("header:X-User"));
        var servers = TestServers.Create(1, 1, 1, 1, 1);
        var before = Map(policy, servers);

        var remaining = servers.Where(s => s.Name != "web3").ToArray();
        var after = Map(policy, remaining);

        var moved = 0;
        for (var k = 0; k < Keys; k++)
        {
            if (before[k] != after[k])
            {
                moved++;
                Assert.Equal("web3", before[k]); // only keys of the removed server move
            }
            else
            {
                Assert.NotEqual("web3", before[k]);
            }
        }

        // About 1/N = 2,000 keys move; the binomial standard deviation is 40, so ±400 is a ~10 sigma band.
        Assert.InRange(moved, 1_600, 2_400);
    }

    [Fact]
    public void Bringing_a_server_back_restores_the_original_mapping()
    {
        var policy = new HashPolicy(HashKeySpec.Parse("header:X-User"));
        var servers = TestServers.Create(1, 1, 1, 1, 1);
        var before = Map(policy, servers);

        Map(policy, servers.Where(s => s.Name != "web2").ToArray());
        var restored = Map(policy, servers);

        Assert.Equal(before, restored);
    }

    [Fact]
    public void Adding_a_sixth_server_moves_about_one_sixth_of_keys_all_to_it()
    {
        var policy = new HashPolicy(HashKeySpec.Parse("header:X-User"));
        var servers = TestServers.Create(1, 1, 1, 1, 1);
        var before = Map(policy, servers);

        var grown = servers.Append(TestServers.Named("web6")).ToArray();
        var after = Map(policy, grown);

        var moved = 0;
        for (var k = 0; k < Keys; k++)
        {
            if (before[k] != after[k])
            {
                moved++;
                Assert.Equal("web6", after[k]);
            }
        }

        // Expected 10,000 / 6 ≈ 1,667 (sd ≈ 37).
        Assert.InRange(moved, 1_300, 2_050);
    }

    [Fact]
    public void Mapping_depends_only_on_key_and_server_names_not_on_instance_or_order()
    {
        // Two balancers (two policy instances, separately created servers, different config order) agree.
        var a = Map(new HashPolicy(HashKeySpec.Parse("header:X-User")), TestServers.Create(1, 1, 1, 1));
        var reversed = TestServers.Create(1, 1, 1, 1);
        Array.Reverse(reversed);
        var b = Map(new HashPolicy(HashKeySpec.Parse("header:X-User")), reversed);

        Assert.Equal(a, b);
    }

    [Fact]
    public void Stable_hash_matches_an_independent_reference_implementation()
    {
        // Reference values from a separate Python implementation of FNV-1a 64 over UTF-16LE followed by the
        // SplitMix64 finalizer. If these change, every key in every deployed farm moves to another server.
        Assert.Equal(0x3c1dbc39e7fa8054UL, StableHash.Hash("abc".AsSpan()));
        Assert.Equal(0xf52a15e9a9b5e89bUL, StableHash.Hash(string.Empty.AsSpan()));
        Assert.Equal(0xc648a88da1e7dd74UL, StableHash.Hash("user-42".AsSpan()));
    }

    [Fact]
    public void Unit_interval_never_reaches_zero_or_one()
    {
        Assert.InRange(StableHash.ToUnitInterval(0), double.Epsilon, 1e-15);
        Assert.InRange(StableHash.ToUnitInterval(ulong.MaxValue), 0.999999, Math.BitDecrement(1.0));
    }

    private static string[] Map(HashPolicy policy, ServerRuntime[] servers)
    {
        var result = new string[Keys];
        for (var k = 0; k < Keys; k++)
        {
            result[k] = policy.Choose(TestServers.ContextFor(k), servers)!.Name;
        }

        return result;
    }
}
