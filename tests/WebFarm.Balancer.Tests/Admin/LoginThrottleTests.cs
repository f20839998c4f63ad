using System.Net;
using WebFarm.Balancer.Admin;

namespace WebFarm.Balancer.Tests.Admin;

/// <summary>The rules of the wrong-token limit, on a clock the test moves (the HTTP side is in the end-to-end access tests).</summary>
public sealed class LoginThrottleTests
{
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.10");

    [Fact]
    public void Five_wrong_tokens_within_a_minute_refuse_the_client_until_the_first_is_a_minute_old()
    {
        var clock = new ManualClock();
        var throttle = new LoginThrottle(clock);
        for (var i = 0; i < LoginThrottle.MaxFailures - 1; i++)
        {
            throttle.RecordFailure(Client);
            Assert.Null(throttle.RetryAfter(Client));
            clock.Advance(TimeSpan.FromSeconds(10));
        }

        throttle.RecordFailure(Client); // The fifth, 40 s after the first.
        Assert.Equal(TimeSpan.FromSeconds(20), throttle.RetryAfter(Client));
        Assert.Null(throttle.RetryAfter(IPAddress.Parse("192.0.2.11")));

        clock.Advance(TimeSpan.FromSeconds(19));
        Assert.Equal(TimeSpan.FromSeconds(1), throttle.RetryAfter(Client));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(throttle.RetryAfter(Client)); // The first failure left the window: one more try.
        throttle.RecordFailure(Client);
        Assert.Equal(TimeSpan.FromSeconds(10), throttle.RetryAfter(Client)); // Until the second one is a minute old.
    }

    [Fact]
    public void Failures_spread_over_more_than_a_minute_never_block()
    {
        var clock = new ManualClock();
        var throttle = new LoginThrottle(clock);
        for (var i = 0; i < 50; i++)
        {
            throttle.RecordFailure(Client);
            Assert.Null(throttle.RetryAfter(Client));
            clock.Advance(TimeSpan.FromSeconds(16)); // Never five within 60 s: the fifth comes 64 s after the first.
        }
    }

    [Fact]
    public void An_IPv6_client_is_its_64_and_a_mapped_IPv4_address_is_the_IPv4_one()
    {
        var throttle = new LoginThrottle(new ManualClock());
        for (var i = 0; i < LoginThrottle.MaxFailures; i++)
        {
            throttle.RecordFailure(IPAddress.Parse($"2001:db8:1:2::{i + 1:x}"));
        }

        Assert.NotNull(throttle.RetryAfter(IPAddress.Parse("2001:db8:1:2:ffff::1")));
        Assert.Null(throttle.RetryAfter(IPAddress.Parse("2001:db8:1:3::1")));
        Assert.Equal("2001:db8:1:2::/64", LoginThrottle.Key(IPAddress.Parse("2001:db8:1:2::7")));
        Assert.Equal("192.0.2.10", LoginThrottle.Key(IPAddress.Parse("::ffff:192.0.2.10")));
        Assert.Equal("::1", LoginThrottle.Key(IPAddress.IPv6Loopback));
    }

    [Fact]
    public void The_table_stays_bounded_and_forgets_the_stalest_client_first()
    {
        var clock = new ManualClock();
        var throttle = new LoginThrottle(clock);
        for (var i = 0; i < LoginThrottle.MaxFailures; i++)
        {
            throttle.RecordFailure(Client);
        }

        clock.Advance(TimeSpan.FromSeconds(1));
        for (var i = 0; i < LoginThrottle.MaxClients; i++)
        {
            throttle.RecordFailure(new IPAddress(0x0A000000u + (uint)i)); // 0.0.0.10, 1.0.0.10, ...: distinct addresses.
        }

        // The table was full: the client with the oldest last failure (the blocked one) made room.
        Assert.Null(throttle.RetryAfter(Client));
    }
}
