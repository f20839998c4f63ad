using System.Security.Cryptography;

namespace WebFarm.Balancer.Forwarding;

/// <summary>
/// Request ids: a random per-process prefix and a counter, as 20 hex characters. Unique across restarts
/// and balancers (the prefix), cheap to make (no GUID, one string allocation).
/// </summary>
internal static class RequestIds
{
    /// <summary>The header that carries the id to the server and back to the client.</summary>
    public const string Header = "X-Request-Id";

    /// <summary>The header that carries the client's own X-Request-Id to the server.</summary>
    public const string OriginalHeader = "X-Original-Request-Id";

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
