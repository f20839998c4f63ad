using System.Net;
using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Affinity;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Tests.Affinity;

public sealed class ClientAddressAffinityProviderTests
{
    private readonly ServerRuntime[] _servers =
    [
        new("web", "web1", new Uri("http://127.0.0.1:5001/"), 1, backup: false),
        new("web", "web2", new Uri("http://127.0.0.1:5002/"), 1, backup: false),
        new("web", "web3", new Uri("http://127.0.0.1:5003/"), 1, backup: false),
    ];

    private static DefaultHttpContext From(string address)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(address);
        return context;
    }

    private ServerRuntime? Owner(IAffinityProvider provider, string address)
    {
        var lookup = provider.Lookup(new HttpContextAffinityClient(From(address)), _servers);
        return lookup.Outcome == AffinityOutcome.Bound ? lookup.Server : null;
    }

    [Fact]
    public void A_client_always_maps_to_the_same_server_and_clients_spread_over_all()
    {
        var provider = new ClientAddressAffinityProvider(network: false);
        var seen = new HashSet<ServerRuntime>();
        for (var i = 1; i <= 200; i++)
        {
            var address = $"192.168.{i % 7}.{i}";
            var owner = Owner(provider, address);
            Assert.NotNull(owner);
            Assert.Same(owner, Owner(provider, address));
            Assert.Same(owner, Owner(new ClientAddressAffinityProvider(network: false), address)); // stable across instances (restarts)
            seen.Add(owner!);
        }

        Assert.Equal(3, seen.Count);
    }

    [Fact]
    public void Network_mode_keeps_a_24_or_64_network_together_and_maps_v4_mapped_v6_as_v4()
    {
        var network = new ClientAddressAffinityProvider(network: true);
        for (var i = 0; i < 50; i++)
        {
            Assert.Same(Owner(network, $"10.1.{i}.1"), Owner(network, $"10.1.{i}.254"));
            Assert.Same(Owner(network, $"2001:db8:0:{i:x}::1"), Owner(network, $"2001:db8:0:{i:x}:ffff::2"));
        }

        var single = new ClientAddressAffinityProvider(network: false);
        Assert.Same(Owner(single, "10.9.8.7"), Owner(single, "::ffff:10.9.8.7"));
    }

    [Fact]
    public void An_unavailable_owner_sends_its_clients_to_one_consistent_other_server_and_nobody_else_moves()
    {
        var provider = new ClientAddressAffinityProvider(network: false);
        var before = Enumerable.Range(1, 300).Select(i => $"172.16.{i / 250}.{i % 250}").ToDictionary(a => a, a => Owner(provider, a)!);

        _servers[0].Healthy = false;
        foreach (var (address, owner) in before)
        {
            var now = Owner(provider, address);
            Assert.NotNull(now);
            if (owner == _servers[0])
            {
                Assert.NotSame(_servers[0], now);
                Assert.Same(now, Owner(provider, address)); // sticky on its new server too
            }
            else
            {
                Assert.Same(owner, now);
            }
        }

        // Back to healthy: everybody is home again.
        _servers[0].Healthy = true;
        Assert.All(before, pair => Assert.Same(pair.Value, Owner(provider, pair.Key)));
    }

    [Fact]
    public void Reject_answers_for_clients_of_an_unavailable_owner_and_draining_keeps_them()
    {
        var provider = new ClientAddressAffinityProvider(network: false, AffinityFailurePolicy.Fail, TimeSpan.FromMinutes(20));
        var address = Enumerable.Range(1, 100).Select(i => $"10.0.0.{i}").First(a => Owner(provider, a) == _servers[2]);

        _servers[2].State = ServerState.Draining;
        Assert.Same(_servers[2], Owner(provider, address));

        _servers[2].State = ServerState.Offline;
        // Offline servers are out of the hash entirely: the client maps to a live server.
        var lookup = provider.Lookup(new HttpContextAffinityClient(From(address)), _servers);
        Assert.Equal(AffinityOutcome.Bound, lookup.Outcome);
        Assert.NotSame(_servers[2], lookup.Server);

        _servers[2].State = ServerState.Online;
        _servers[2].Healthy = false;
        var rejected = provider.Lookup(new HttpContextAffinityClient(From(address)), _servers);
        Assert.Equal(AffinityOutcome.Reject, rejected.Outcome);
        Assert.Same(_servers[2], rejected.Server);
    }

    [Fact]
    public void Without_an_address_or_any_server_it_is_unbound()
    {
        var provider = new ClientAddressAffinityProvider(network: false);
        Assert.Equal(AffinityLookup.Unbound, provider.Lookup(new HttpContextAffinityClient(new DefaultHttpContext()), _servers));
        Assert.Equal(AffinityLookup.Unbound, provider.Lookup(new HttpContextAffinityClient(From("10.0.0.1")), []));
    }
}
