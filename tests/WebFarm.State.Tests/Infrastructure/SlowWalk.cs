namespace WebFarm.State.Tests.Infrastructure;

/// <summary>
/// A KEYS/SCAN that keeps the server busy for a long time without ever being exponential: 1000 keys of 4000
/// a's, and a pattern of twenty stars (exponential for a backtracking matcher) followed by 1000 a's and a b,
/// which costs the linear matcher about key length x 1000 steps per key (tens of seconds in all, measured).
/// </summary>
public static class SlowWalk
{
    public static readonly string Pattern = string.Concat(Enumerable.Repeat("a*", 20)) + new string('a', 1000) + "b";

    public static async Task PopulateAsync(RawClient client, string suffix = "")
    {
        var prefix = new string('a', 4000);
        for (var i = 0; i < 1000; i++)
        {
            await client.SendRawAsync(RawClient.Encode("SET", $"{prefix}:{i}{suffix}", "v"));
        }

        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal("OK", await client.ReadReplyAsync());
        }
    }

    /// <summary>
    /// Waits until CLIENT LIST shows the client named <paramref name="name"/> running <paramref name="command"/>.
    /// A walk that held the store lock would keep CLIENT LIST itself waiting (and this would time out).
    /// </summary>
    public static Task WaitUntilRunningAsync(RawClient observer, string name, string command)
        => Eventually.UntilAsync(
            async () => ((string)(await observer.CallAsync("CLIENT", "LIST"))!).Split('\n')
                .Any(line => line.Contains($"name={name} ", StringComparison.Ordinal) && line.Contains("cmd=" + command.ToLowerInvariant(), StringComparison.Ordinal)),
            $"{name}'s {command} has started");
}
