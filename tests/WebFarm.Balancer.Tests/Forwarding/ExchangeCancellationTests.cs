using System.Diagnostics;
using WebFarm.Balancer.Forwarding;
using WebFarm.Testing;

namespace WebFarm.Balancer.Tests.Forwarding;

/// <summary>
/// The attempt's timeout as a deadline that activity moves and a timer that re-arms itself only when needed
/// (<see cref="ExchangeCancellation"/>): a shorter timeout takes effect at once, activity postpones it and it never
/// fires before its deadline, and an instance reused from the pool is never cancelled by the timer of its previous
/// attempt. The assertions are lower bounds and eventual outcomes only, so a slow machine cannot fail them.
/// </summary>
public sealed class ExchangeCancellationTests
{
    // Environment.TickCount64, which the deadline is counted in, advances in steps of a few milliseconds.
    private static readonly TimeSpan ClockStep = TimeSpan.FromMilliseconds(25);

    [Fact]
    public async Task A_shorter_timeout_set_after_a_longer_one_fires_at_the_shorter_one()
    {
        var exchange = ExchangeCancellation.Rent(CancellationToken.None, TimeSpan.FromMinutes(10));
        try
        {
            exchange.SetTimeout(TimeSpan.FromMilliseconds(200));

            await Eventually.True(() => exchange.IsCancellationRequested, because: "the 200 ms timeout to cancel the exchange (not the 10 min one set before it)");
            Assert.True(exchange.TimedOut);
            Assert.False(exchange.ClientAborted);
        }
        finally
        {
            exchange.Return();
        }
    }

    [Fact]
    public async Task Activity_postpones_the_timeout_which_never_fires_before_its_deadline()
    {
        var timeout = TimeSpan.FromMilliseconds(300);
        var exchange = ExchangeCancellation.Rent(CancellationToken.None, timeout);
        var resets = new List<long> { Stopwatch.GetTimestamp() };
        long cancelledAt = 0;
        using var registration = exchange.Token.Register(() => Volatile.Write(ref cancelledAt, Stopwatch.GetTimestamp()));
        try
        {
            // Activity every 100 ms for a while: each moves the deadline past the timer's first firing.
            for (var i = 0; i < 6 && !exchange.IsCancellationRequested; i++)
            {
                await Task.Delay(100);
                var at = Stopwatch.GetTimestamp();
                exchange.ResetTimeout();
                lock (resets)
                {
                    resets.Add(at);
                }
            }

            await Eventually.True(() => Volatile.Read(ref cancelledAt) != 0, because: "the exchange to time out once the activity stopped");

            // Measured from the last activity before the cancellation (on a starved machine that may be an earlier one).
            var cancelled = Volatile.Read(ref cancelledAt);
            long lastActivity;
            lock (resets)
            {
                lastActivity = resets.Where(r => r < cancelled).Max();
            }

            var quiet = Stopwatch.GetElapsedTime(lastActivity, cancelled);
            Assert.True(quiet >= timeout - ClockStep, $"cancelled {quiet.TotalMilliseconds:0} ms after the last activity, before the {timeout.TotalMilliseconds:0} ms timeout");
            Assert.True(exchange.TimedOut);
        }
        finally
        {
            exchange.Return();
        }
    }

    [Fact]
    public async Task An_instance_reused_from_the_pool_is_not_cancelled_by_the_timer_of_its_previous_attempt()
    {
        // Rent and return on one thread: the next rent on that thread gets the same instance, its timer still set
        // for the first attempt's 100 ms deadline.
        var first = ExchangeCancellation.Rent(CancellationToken.None, TimeSpan.FromMilliseconds(100));
        first.Return();
        var second = ExchangeCancellation.Rent(CancellationToken.None, TimeSpan.FromMinutes(10));
        try
        {
            Assert.Same(first, second);

            // Well past the first attempt's deadline, so its timer has fired (and found a later deadline).
            await Task.Delay(TimeSpan.FromMilliseconds(600));

            Assert.False(second.IsCancellationRequested);

            // And the reused instance still times out on its own deadline.
            second.SetTimeout(TimeSpan.FromMilliseconds(50));
            await Eventually.True(() => second.IsCancellationRequested, because: "the reused instance's own timeout");
            Assert.True(second.TimedOut);
        }
        finally
        {
            second.Return();
        }
    }

    [Fact]
    public async Task A_client_abort_cancels_at_once_and_is_not_a_timeout()
    {
        using var client = new CancellationTokenSource();
        var exchange = ExchangeCancellation.Rent(client.Token, TimeSpan.FromMinutes(10));
        try
        {
            await client.CancelAsync();

            Assert.True(exchange.IsCancellationRequested);
            Assert.True(exchange.ClientAborted);
            Assert.False(exchange.TimedOut);
        }
        finally
        {
            exchange.Return();
        }
    }
}
