using System.Security.Cryptography;

namespace WebFarm.Balancer.Forwarding;

/// <summary>
/// Request ids: a random per-process prefix and a counter, as 20 hex characters. Unique across restarts
/// and balancers (the prefix), cheap to make (no GUID, one string allocation).
/// </summary>
internal static class RequestIds
{
    private static readonly string Prefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
    private static long _counter;

    public static string Next()
    {
        var n = Interlocked.Increment(ref _counter);
        return string.Create(20, n, static (span, value) =>
        {
            Prefix.AsSpan().CopyTo(span);
            value.TryFormat(span[8..], out _, "x12");
        });
    }
}
