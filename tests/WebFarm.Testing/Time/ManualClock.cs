namespace WebFarm.Testing;

/// <summary>
/// A clock the test moves by hand (Microsoft's FakeTimeProvider is not available here; timers still run on real time,
/// from the base class). Timestamps start one day in, so code that treats 0 as "never" sees a real time.
/// </summary>
public sealed class ManualClock : TimeProvider
{
    private long _ticks = TimeSpan.FromDays(1).Ticks;
    private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by)
    {
        Interlocked.Add(ref _ticks, by.Ticks);
        _now += by;
    }
}
