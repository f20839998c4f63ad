namespace WebFarm.Balancer.Configuration;

/// <summary>
/// A route's response cache (<c>"Cache": {...}</c> on a route; absent or null = no cache). RFC 9111 shared-cache rules
/// decide what is stored and for how long; these settings bound it (docs/cache.md).
/// </summary>
public sealed record CacheOptions
{
    /// <summary>Bytes of responses (bodies, headers and keys) the route's cache keeps; the least recently used go first.</summary>
    public int MaxMemory { get; init; } = 64 * 1024 * 1024;

    /// <summary>A response with a larger body is relayed, not stored.</summary>
    public int MaxEntrySize { get; init; } = 1024 * 1024;

    /// <summary>Lifetime of a response that carries no freshness information (ARR used 60 s); zero = such responses are not stored.</summary>
    public TimeSpan DefaultLifetime { get; init; } = TimeSpan.Zero;

    /// <summary>Query parameters left out of the cache key (tracking parameters such as "utm_source").</summary>
    public IReadOnlyList<string> IgnoreQueryParameters { get; init; } = [];

    /// <summary>How long a request waits for another request's fetch of the same key before going upstream itself.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long past its freshness a copy may still be served when no server can answer; zero = never.</summary>
    public TimeSpan StaleIfError { get; init; } = TimeSpan.Zero;

    /// <summary>The disk tier entries evicted from memory go to; null = memory only.</summary>
    public CacheDiskOptions? Disk { get; init; }
}
