namespace WebFarm.State.Protocol;

/// <summary>
/// Request size limits; unauthenticated clients get tighter ones, as in Redis, and going over them gets Redis's
/// "unauthenticated" texts instead of "invalid".
/// </summary>
internal readonly record struct ParserLimits(long MaxBulkLength, long MaxMultibulkLength, bool IsUnauthenticated = false)
{
    /// <summary>Longest header line or inline request accepted without a newline (Redis PROTO_INLINE_MAX_SIZE).</summary>
    public const int MaxInlineLength = 64 * 1024;

    public static readonly ParserLimits Unauthenticated = new(16 * 1024, 10, IsUnauthenticated: true);
}
