using System.Diagnostics;
using Xunit.Sdk;

namespace WebFarm.Testing;

/// <summary>
/// Polls a condition until it holds or a deadline passes, instead of sleeping and hoping. One loop serves the forms
/// the test projects grew separately (<c>True</c>, <c>TrueAsync</c>, <c>UntilAsync</c>, <c>ReturnsAsync</c>), so
/// they all behave alike: a probe that throws is retried (a server that is not up yet refuses, a failover answers
/// READONLY) and its last error is reported if time runs out; an xunit assertion thrown inside a probe stops the wait
/// at once (a probe uses it to say "this can no longer come true", e.g. the process under test exited).
/// </summary>
public static class Eventually
{
    /// <summary>How long a wait without an explicit timeout lasts: generous, because CI machines can be slow.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Between checks of an in-process condition (a counter, a flag): cheap, so checked often.</summary>
    private static readonly TimeSpan ConditionInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>Between asynchronous probes, which usually make a request or run a command.</summary>
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(50);

    public static Task True(Func<bool> condition, TimeSpan? timeout = null, string? because = null)
        => PollAsync(() => Task.FromResult(condition()), IsTrue, timeout ?? DefaultTimeout, because, ConditionInterval, showLast: false);

    /// <summary>
    /// Waits until <paramref name="progress"/> (a byte count a sender adds to) reaches <paramref name="atLeast"/> and then
    /// stops moving for 25 checks in a row (half a second at the least): the sender is held back by something (a full
    /// buffer on its way). Returns the count it stalled at. A pause of the machine can look like a stall, never the
    /// reverse, so a test asserting that the count stayed below a bound cannot fail by it.
    /// </summary>
    public static async Task<long> StallsAsync(Func<long> progress, long atLeast, TimeSpan timeout, string because)
    {
        var last = -1L;
        var unchanged = 0;
        await True(
            () =>
            {
                var now = progress();
                unchanged = now == last ? unchanged + 1 : 0;
                last = now;
                return now >= atLeast && unchanged >= 25;
            },
            timeout,
            because);
        return last;
    }

    public static Task True(Func<Task<bool>> condition, TimeSpan? timeout = null, string? because = null)
        => PollAsync(condition, IsTrue, timeout ?? DefaultTimeout, because, ProbeInterval, showLast: false);

    public static Task TrueAsync(Func<bool> condition, TimeSpan timeout, string what)
        => True(condition, timeout, what);

    public static Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
        => True(condition, timeout, what);

    public static Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
        => True(condition, timeout, what);

    /// <summary>Waits until <paramref name="probe"/> returns a non-null value, and returns it.</summary>
    public static async Task<T> ReturnsAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, string what)
        where T : class
        => (await PollAsync(probe, value => value is not null, timeout, what, ProbeInterval, showLast: false))!;

    /// <summary>Waits until <paramref name="done"/> accepts what <paramref name="probe"/> returns, and returns that value.</summary>
    public static Task<T> ReturnsAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what)
        => PollAsync(probe, done, timeout, what, ProbeInterval, showLast: true);

    private static bool IsTrue(bool value) => value;

    private static async Task<T> PollAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string? what, TimeSpan interval, bool showLast)
    {
        var clock = Stopwatch.StartNew();
        var last = default(T);
        var probed = false;
        Exception? lastError = null;
        while (true)
        {
            try
            {
                last = await probe();
                probed = true;
                lastError = null;
                if (done(last))
                {
                    return last;
                }
            }
            catch (Exception ex) when (ex is not XunitException)
            {
                lastError = ex;
            }

            if (clock.Elapsed >= timeout)
            {
                var message = $"Timed out after {timeout.TotalSeconds:0.#} s waiting for {what ?? "the condition"}"
                    + (showLast && probed ? $"; last value: {last}" : string.Empty)
                    + (lastError is null ? string.Empty : $"; last error: {lastError.GetType().Name}: {lastError.Message}");
                throw new TimeoutException(message, lastError);
            }

            await Task.Delay(interval);
        }
    }
}
