using WebFarm.Controller.Rotation;

namespace WebFarm.Controller.Tests.Balancers;

/// <summary>
/// Which addresses a server's apps trust for X-Forwarded-*: the in-process balancer's source address toward the
/// server (read from the kernel's route, not from the heartbeat) and each external balancer's address. The
/// multi-machine case (one link per machine) is in AppsOnMachinesTests.
/// </summary>
public sealed class TrustedBalancerAddressesTests
{
    [Fact]
    public void The_in_process_balancer_is_trusted_at_its_source_address_toward_the_server_not_at_the_heartbeat_s()
    {
        var trusted = new TrustedBalancerAddresses(inProcess: true, []);
        Assert.Equal("127.0.0.1", trusted.For("http://127.0.0.1:5000", heartbeatLocal: "10.9.9.9"));
    }

    [Fact]
    public void External_balancers_are_trusted_at_their_admin_address_after_the_in_process_one_without_repeats()
    {
        var trusted = new TrustedBalancerAddresses(inProcess: true, [new BalancerEndpoint(new Uri("http://10.0.0.5:8089"), null), new BalancerEndpoint(new Uri("http://127.0.0.1:8089"), null), new BalancerEndpoint(new Uri("http://10.0.0.5:9000"), null)]);
        Assert.Equal("127.0.0.1,10.0.0.5", trusted.For("http://127.0.0.1:5000", heartbeatLocal: "10.9.9.9"));

        var externalOnly = new TrustedBalancerAddresses(inProcess: false, [new BalancerEndpoint(new Uri("http://10.0.0.5:8089"), null), new BalancerEndpoint(new Uri("http://10.0.0.6:8089"), null)]);
        Assert.Equal("10.0.0.5,10.0.0.6", externalOnly.For("http://127.0.0.1:5000", heartbeatLocal: "10.9.9.9"));
    }

    [Fact]
    public void A_server_address_whose_route_cannot_be_read_falls_back_to_the_heartbeat_s_address()
        => Assert.Equal("10.9.9.9", new TrustedBalancerAddresses(inProcess: true, []).For("http://no-such-host.invalid:5000", heartbeatLocal: "10.9.9.9"));
}
