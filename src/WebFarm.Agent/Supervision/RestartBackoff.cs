namespace WebFarm.Agent.Supervision;

/// <summary>
/// Exponential restart delays: <see cref="Initial"/>, doubling up to <see cref="Maximum"/>. A process that
/// stayed up for <see cref="StablePeriod"/> starts over from <see cref="Initial"/>, so one crash a day
/// restarts at once while a crash loop does not spin the CPU.
/// Immutable; the attempt counter lives in the supervised instance.
/// </summary>
public sealed record RestartBackoff
{
    public static RestartBackoff Default { get; } = new();

    public TimeSpan Initial { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan Maximum { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan StablePeriod { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The delay before restart number <paramref name="attempt"/> (0-based) of a crash streak.</summary>
    public TimeSpan DelayFor(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(attempt);
        // Cap the exponent: 2^30 half-seconds is already far beyond any sane maximum.
        var factor = Math.Pow(2, Math.Min(attempt, 30));
        var ticks = Math.Min(Initial.Ticks * factor, Maximum.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }
}
