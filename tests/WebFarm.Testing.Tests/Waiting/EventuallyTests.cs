using Xunit.Sdk;

namespace WebFarm.Testing.Tests.Waiting;

/// <summary>
/// The one condition wait every test project uses: what it retries, what stops it at once, and what it reports when
/// time runs out. No test here measures time: each waits for a condition or for the wait to give up.
/// </summary>
public sealed class EventuallyTests
{
    [Fact]
    public async Task A_condition_that_comes_true_ends_the_wait()
    {
        var count = 0;
        using var ticker = new Timer(_ => Interlocked.Increment(ref count), null, 0, 5);

        await Eventually.True(() => Volatile.Read(ref count) >= 3, TimeSpan.FromSeconds(30), "three ticks");

        Assert.True(Volatile.Read(ref count) >= 3);
    }

    [Fact]
    public async Task A_probe_that_throws_is_tried_again()
    {
        var calls = 0;

        var value = await Eventually.ReturnsAsync<string>(
            () => ++calls < 3 ? throw new IOException("not up yet") : Task.FromResult<string?>("up"),
            TimeSpan.FromSeconds(30),
            "the server to come up");

        Assert.Equal("up", value);
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task An_assertion_in_a_probe_stops_the_wait_at_once()
    {
        var calls = 0;

        await Assert.ThrowsAsync<FailException>(() => Eventually.UntilAsync(
            () =>
            {
                calls++;
                Assert.Fail("the process under test exited");
                return Task.FromResult(false);
            },
            "the process to serve",
            TimeSpan.FromSeconds(30)));

        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task Giving_up_names_what_was_awaited_and_the_last_error()
    {
        var error = await Assert.ThrowsAsync<TimeoutException>(() => Eventually.TrueAsync(
            () => Task.FromException<bool>(new IOException("connection refused")),
            TimeSpan.FromMilliseconds(100),
            "the listener to accept"));

        Assert.Contains("waiting for the listener to accept", error.Message, StringComparison.Ordinal);
        Assert.Contains("IOException: connection refused", error.Message, StringComparison.Ordinal);
        Assert.IsType<IOException>(error.InnerException);
    }

    [Fact]
    public async Task Giving_up_on_a_value_reports_the_last_one()
    {
        var error = await Assert.ThrowsAsync<TimeoutException>(() => Eventually.ReturnsAsync(
            () => Task.FromResult(503),
            status => status == 200,
            TimeSpan.FromMilliseconds(100),
            "health to report 200"));

        Assert.Contains("last value: 503", error.Message, StringComparison.Ordinal);
    }
}
