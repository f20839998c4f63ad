using WebFarm.Agent.Supervision;

namespace WebFarm.Agent.Tests.Supervision;

public sealed class RestartBackoffTests
{
    [Fact]
    public void Delays_DoubleFromInitial_UpToTheMaximum()
    {
        var backoff = RestartBackoff.Default;

        Assert.Equal(TimeSpan.FromMilliseconds(500), backoff.DelayFor(0));
        Assert.Equal(TimeSpan.FromSeconds(1), backoff.DelayFor(1));
        Assert.Equal(TimeSpan.FromSeconds(2), backoff.DelayFor(2));
        Assert.Equal(TimeSpan.FromSeconds(16), backoff.DelayFor(5));
        Assert.Equal(TimeSpan.FromSeconds(30), backoff.DelayFor(6));
        Assert.Equal(TimeSpan.FromSeconds(30), backoff.DelayFor(1000));
    }

    [Fact]
    public void NegativeAttempt_IsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RestartBackoff.Default.DelayFor(-1));
    }
}
