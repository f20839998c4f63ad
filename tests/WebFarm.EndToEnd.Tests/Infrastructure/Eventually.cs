namespace WebFarm.EndToEnd.Tests.Infrastructure;

/// <summary>Polls a condition until it holds or a deadline passes: no sleep-and-hope.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
            {
                last = ex;
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException($"timed out after {timeout.TotalSeconds}s waiting for {what}" + (last is null ? "" : $" (last error: {last.Message})"));
            }

            await Task.Delay(100);
        }
    }

    public static Task TrueAsync(Func<bool> condition, TimeSpan timeout, string what)
        => TrueAsync(() => Task.FromResult(condition()), timeout, what);
}
