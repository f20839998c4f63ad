using System.Diagnostics;

namespace WebFarm.Controller.Rotation;

/// <summary>
/// Waits for a condition of the farm (an agent's report, the balancer's view) by polling it: rolling restarts and
/// deployments wait this way for instances to start, pass checks and stop.
/// </summary>
public static class RotationWait
{
    /// <summary>Every 100 ms: agents report once a heartbeat (1 s), so a phase ends at most a tenth of that late.</summary>
    public static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    /// <summary>The condition's first non-null value, or null when <paramref name="timeout"/> passed without one.</summary>
    public static async Task<T?> UntilAsync<T>(Func<T?> condition, TimeSpan timeout, CancellationToken cancellationToken)
        where T : class
    {
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < timeout)
        {
            if (condition() is { } value)
            {
                return value;
            }

            await Task.Delay(Poll, cancellationToken).ConfigureAwait(false);
        }

        return condition();
    }
}
