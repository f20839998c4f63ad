using System.Net;
using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.LoadBalancing;

namespace WebFarm.Balancer.Tests.LoadBalancing;

public class ClientAddressPolicyTests
{
    [Fact]
    public void ClientIp_sends_a_client_to_the_same_server_every_time()
    {
        var policy = new ClientIpPolicy();
        var servers = TestServers.Create(1, 1, 1, 1, 1);
        var first = policy.Choose(ContextFrom("192.0.2.44"), servers);

        for (var i = 0; i < 100; i++)
        {
            Assert.Same(first, policy.Choose(ContextFrom("192.0.2.44"), servers));
        }
    }

    [Fact]
    public void ClientIp_treats_IPv4_mapped_IPv6_as_the_IPv4_address()
    {
        var policy = new ClientIpPolicy();
        var servers = TestServers.Create(1, 1, 1, 1, 1);

        for (var i = 0; i < 500; i++)
        {
            var v4 = new IPAddress([172, 16, (byte)(i >> 8), (byte)i]);
            Assert.Same(policy.Choose(ContextFrom(v4), servers), policy.Choose(ContextFrom(v4.MapToIPv6()), servers));
        }
    }

    [Fact]
    public void ClientIp_spreads_different_clients_of_one_network()
    {
        var policy = new ClientIpPolicy();
        var servers = TestServers.Create(1, 1, 1);
        var chosen = new HashSet<ServerRuntime>();
        for (var i = 1; i < 255; i++)
        {
            chosen.Add(policy.Choose(ContextFrom($"198.51.100.{i}"), servers)!);
        }

        Assert.Equal(3, chosen.Count);
    }

    [Fact]
    public void ClientNetwork_groups_an_IPv4_slash_24()
    {
        var policy = new ClientNetworkPolicy();
        var servers = TestServers.Create(1, 1, 1, 1, 1);

        for (var net = 0; net < 40; net++)
        {
            var expected = policy.Choose(ContextFrom($"10.20.{net}.1"), servers);
            for (var host = 0; host < 256; host++)
            {
                Assert.Same(expected, policy.Choose(ContextFrom($"10.20.{net}.{host}"), servers));
                Assert.Same(expected, policy.Choose(ContextFrom(IPAddress.Parse($"10.20.{net}.{host}").MapToIPv6()), servers));
            }
        }
    }

    [Fact]
    public void ClientNetwork_groups_an_IPv6_slash_64()
    {
        var policy = new ClientNetworkPolicy();
        var servers = TestServers.Create(1, 1, 1, 1, 1);

        var expected = policy.Choose(ContextFrom("2001:db8:aa:bb::1"), servers);
        var random = new Random(7);
        for (var i = 0; i < 500; i++)
        {
            var host = $"2001:db8:aa:bb:{random.Next(65536):x}:{random.Next(65536):x}:{random.Next(65536):x}:{random.Next(65536):x}";
            Assert.Same(expected, policy.Choose(ContextFrom(host), servers));
        }
    }

    [Fact]
    public void ClientNetwork_separates_different_networks()
    {
        Assert.True(ClientAddressHash.TryHash(IPAddress.Parse("10.20.1.5"), 3, 8, out var a));
        Assert.True(ClientAddressHash.TryHash(IPAddress.Parse("10.20.2.5"), 3, 8, out var b));
        Assert.True(ClientAddressHash.TryHash(IPAddress.Parse("2001:db8:aa:bb::1"), 3, 8, out var c));
        Assert.True(ClientAddressHash.TryHash(IPAddress.Parse("2001:db8:aa:bc::1"), 3, 8, out var d));
        Assert.NotEqual(a, b);
        Assert.NotEqual(c, d);

        // And the networks are spread over the servers.
        var policy = new ClientNetworkPolicy();
        var servers = TestServers.Create(1, 1, 1);
        var chosen = new HashSet<ServerRuntime>();
        for (var net = 0; net < 100; net++)
        {
            chosen.Add(policy.Choose(ContextFrom($"10.30.{net}.9"), servers)!);
        }

        Assert.Equal(3, chosen.Count);
    }

    [Fact]
    public void Without_a_remote_address_both_fall_back_to_weighted_random()
    {
        var servers = TestServers.Create(1, 3);
        foreach (ILoadBalancingPolicy policy in new ILoadBalancingPolicy[] { new ClientIpPolicy(), new ClientNetworkPolicy() })
        {
            var counts = new int[2];
            for (var i = 0; i < 4_000; i++)
            {
                counts[Array.IndexOf(servers, policy.Choose(new DefaultHttpContext(), servers))]++;
            }

            PolicyShareTests.AssertShares(counts, [1, 3], tolerancePoints: 4);
        }
    }

    private static DefaultHttpContext ContextFrom(string address) => ContextFrom(IPAddress.Parse(address));

    private static DefaultHttpContext ContextFrom(IPAddress address)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = address;
        return context;
    }
}
