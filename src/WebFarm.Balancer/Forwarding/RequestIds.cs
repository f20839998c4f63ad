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

    // Guid.NewGuid's first four bytes are random (version 4: only bytes 6 and 8 carry fixed bits) and come from the
    // OS's secure random source through the runtime's System.Native; RandomNumberGenerator would go through OpenSSL
    // and load libcrypto (3.4 MiB resident) into a plain-HTTP balancer at its first request.
    private static readonly string Prefix = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray().AsSpan(0, 4));
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
