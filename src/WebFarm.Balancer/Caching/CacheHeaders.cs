namespace WebFarm.Balancer.Caching;

/// <summary>The X-Cache header and its values (docs/cache.md).</summary>
internal static class CacheHeaders
{
    public const string XCache = "X-Cache";

    /// <summary>Answered from a fresh copy without asking a server.</summary>
    public const string Hit = "HIT";

    /// <summary>Fetched from a server (and stored when the rules allow).</summary>
    public const string Miss = "MISS";

    /// <summary>A stale copy, because no server could answer (stale-if-error).</summary>
    public const string Stale = "STALE";

    /// <summary>A stale copy the server confirmed with 304.</summary>
    public const string Revalidated = "REVALIDATED";
}
