namespace WebFarm.State.Tests.Infrastructure;

/// <summary>Polls a condition until it holds or a deadline passes (no sleep-and-hope).</summary>
public static class Wait
{
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            if (await condition())
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting until {what}");
            }

            await Task.Delay(50);
        }
    }
}
