using WebFarm.Balancer.Vip;

namespace WebFarm.Balancer.Tests.Vip;

/// <summary>`webfarm vip`'s options: every bad one is reported at once, naming the option, the value and why.</summary>
public sealed class VipSettingsTests
{
    private static readonly VipOptions Good = new()
    {
        Addresses = ["10.0.0.100/24"],
        Interface = "eth0",
        Priority = 150,
        RouterId = 51,
        Peers = ["10.0.0.12"],
        AuthPass = "s3cret",
        Track = "http://127.0.0.1:8089",
    };

    [Fact]
    public void Good_options_are_taken_and_the_admin_listener_becomes_its_healthz_url()
    {
        var settings = VipSettings.From(Good);
        Assert.Equal("10.0.0.100/24", Assert.Single(settings.Addresses).ToString());
        Assert.Equal("http://127.0.0.1:8089/healthz", settings.HealthUrl.AbsoluteUri);
        Assert.Equal("http://127.0.0.1:9000/custom", VipSettings.From(Good with { Track = "http://127.0.0.1:9000/custom" }).HealthUrl.AbsoluteUri);
    }

    [Theory]
    [InlineData("10.0.0.100", "--vip '10.0.0.100': has no prefix length")]
    [InlineData("10.0.0/24", "--vip '10.0.0/24': '10.0.0' is not an IP address")]
    [InlineData("10.0.0.100/33", "--vip '10.0.0.100/33': prefix length '33' is not a number from 1 to 32")]
    [InlineData("10.0.0.0/24", "is the network address of its /24 subnet")]
    [InlineData("10.0.0.255/24", "is the broadcast address of its /24 subnet")]
    [InlineData("127.0.0.5/8", "cannot be a virtual address")]
    [InlineData("fd00::10/64", "only IPv4 virtual addresses are supported")]
    public void A_bad_virtual_address_is_named_with_why(string vip, string expected)
    {
        var error = Assert.Throws<VipOptionsException>(() => VipSettings.From(Good with { Addresses = [vip] }));
        Assert.Contains(error.Errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Every_bad_option_is_reported_at_once_each_naming_its_option()
    {
        var error = Assert.Throws<VipOptionsException>(() => VipSettings.From(new VipOptions
        {
            Addresses = [],
            Interface = "a-much-too-long-name0",
            Priority = 255,
            RouterId = 0,
            Peers = ["10.0.0.300"],
            AuthPass = "123456789",
            Track = "ftp://127.0.0.1",
            Name = "has space",
        }));
        Assert.Collection(
            error.Errors,
            e => Assert.StartsWith("--vip: at least one virtual address is required", e, StringComparison.Ordinal),
            e => Assert.StartsWith("--interface 'a-much-too-long-name0': Linux interface names have at most 15 characters", e, StringComparison.Ordinal),
            e => Assert.StartsWith("--priority 255: must be from 1 to 254", e, StringComparison.Ordinal),
            e => Assert.StartsWith("--router-id 0: must be from 1 to 255", e, StringComparison.Ordinal),
            e => Assert.StartsWith("--peer '10.0.0.300': not an IPv4 address", e, StringComparison.Ordinal),
            e => Assert.StartsWith("--auth-pass: must be 1 to 8 printable ASCII characters", e, StringComparison.Ordinal),
            e => Assert.StartsWith("--track 'ftp://127.0.0.1': not an http:// or https:// URL", e, StringComparison.Ordinal),
            e => Assert.StartsWith("--name 'has space': use 1 to 32 letters", e, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("", "an interface name is required")]
    [InlineData("eth0 ", null)]
    [InlineData("eth\"0", "not a valid interface name")]
    [InlineData("eth0:1", "not a valid interface name")]
    public void Interface_names_are_checked_for_what_linux_and_keepalived_accept(string name, string? expected)
    {
        if (expected is null)
        {
            Assert.Equal("eth0", VipSettings.From(Good with { Interface = name }).Interface);
            return;
        }

        var error = Assert.Throws<VipOptionsException>(() => VipSettings.From(Good with { Interface = name }));
        Assert.Contains(expected, Assert.Single(error.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void A_peer_that_is_a_virtual_address_is_refused()
    {
        var error = Assert.Throws<VipOptionsException>(() => VipSettings.From(Good with { Peers = ["10.0.0.100"] }));
        Assert.Equal("--peer '10.0.0.100': is one of the virtual addresses; give the other node's own address", Assert.Single(error.Errors));
    }
}
