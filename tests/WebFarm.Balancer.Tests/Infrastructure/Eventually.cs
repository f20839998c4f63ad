namespace WebFarm.Balancer.Tests.Infrastructure;

/// <summary>Polls a condition until it holds or a deadline passes (instead of sleeping and hoping).</summary>
public static class Eventually
{
    public static async Task True(Func<bool> condition, TimeSpan? timeout = null, string? because = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("Condition not met in time" + (because is null ? string.Empty : ": " + because));
            }

            await Task.Delay(20);
        }
    }

    public static async Task True(Func<Task<bool>> condition, TimeSpan? timeout = null, string? because = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("Condition not met in time" + (because is null ? string.Empty : ": " + because));
            }

            await Task.Delay(20);
        }
    }
}
