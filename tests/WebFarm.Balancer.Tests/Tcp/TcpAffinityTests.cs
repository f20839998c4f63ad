using System.Net;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.LoadBalancing;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Tcp;

/// <summary>
/// NLB's affinity on TCP port rules: ClientIp ("Single") and ClientNetwork ("Class C") keep a client on its server
/// across reconnects, and two balancers with the same farm agree. Clients connect from distinct 127.x source addresses.
/// </summary>
public sealed class TcpAffinityTests
{
    [Theory]
    [InlineData(AffinityMode.ClientIp, null)]
    [InlineData(AffinityMode.None, LoadBalancingAlgorithm.ClientIp)]
    public async Task ClientIp_keeps_each_client_address_on_its_server_across_reconnects_and_balancers(AffinityMode affinity, LoadBalancingAlgorithm? policy)
    {
        await using var s1 = TcpBackend.StartGreeter("s1");
        await using var s2 = TcpBackend.StartGreeter("s2");
        await using var s3 = TcpBackend.StartGreeter("s3");
        FarmOptions Configure(FarmOptions f) => f with
        {
            Affinity = f.Affinity with { Mode = affinity },
            LoadBalancing = policy ?? LoadBalancingAlgorithm.RoundRobin,
        };
        await using var first = await TcpFarm.StartAsync([s1, s2, s3], Configure);
        await using var second = await TcpFarm.StartAsync([s1, s2, s3], Configure);

        var seen = new HashSet<string>();
        for (var client = 1; client <= 12; client++)
        {
            var address = IPAddress.Parse($"127.0.{client}.{client + 10}");
            var server = await TcpTestClient.GreetingFromAsync(first.EndPoint(), address);
            seen.Add(server);
            for (var again = 0; again < 3; again++)
            {
                Assert.Equal(server, await TcpTestClient.GreetingFromAsync(first.EndPoint(), address));
                Assert.Equal(server, await TcpTestClient.GreetingFromAsync(second.EndPoint(), address));
            }
        }

        Assert.True(seen.Count >= 2, $"12 client addresses all went to {string.Join(", ", seen)}: the address is not what chooses");
    }

    [Theory]
    [InlineData(AffinityMode.ClientNetwork, null)]
    [InlineData(AffinityMode.None, LoadBalancingAlgorithm.ClientNetwork)]
    public async Task ClientNetwork_keeps_every_address_of_a_24_network_on_one_server(AffinityMode affinity, LoadBalancingAlgorithm? policy)
    {
        await using var s1 = TcpBackend.StartGreeter("s1");
        await using var s2 = TcpBackend.StartGreeter("s2");
        await using var s3 = TcpBackend.StartGreeter("s3");
        await using var balancer = await TcpFarm.StartAsync([s1, s2, s3], f => f with
        {
            Affinity = f.Affinity with { Mode = affinity },
            LoadBalancing = policy ?? LoadBalancingAlgorithm.RoundRobin,
        });

        var seen = new HashSet<string>();
        for (var network = 1; network <= 12; network++)
        {
            var server = await TcpTestClient.GreetingFromAsync(balancer.EndPoint(), IPAddress.Parse($"127.1.{network}.1"));
            seen.Add(server);
            for (var host = 2; host <= 5; host++)
            {
                Assert.Equal(server, await TcpTestClient.GreetingFromAsync(balancer.EndPoint(), IPAddress.Parse($"127.1.{network}.{host * 40}")));
            }
        }

        Assert.True(seen.Count >= 2, $"12 networks all went to {string.Join(", ", seen)}: the network is not what chooses");
    }
}
