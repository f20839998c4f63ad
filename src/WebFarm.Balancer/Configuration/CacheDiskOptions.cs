namespace WebFarm.Balancer.Configuration;

/// <summary>
/// A route cache's disk tier (<c>"Cache": { "Disk": { "Path": "/var/cache/webfarm/static", "MaxBytes": 1073741824 } }</c>):
/// responses evicted from memory are written here and read back on a memory miss (docs/cache.md, "The disk tier").
/// </summary>
public sealed record CacheDiskOptions
{
    /// <summary>The folder the route's entries are kept in (absolute; created when missing; one route per folder).</summary>
    public string Path { get; init; } = null!;

    /// <summary>Bytes of files the folder may hold; the least recently used entries are deleted beyond it.</summary>
    public long MaxBytes { get; init; } = 1024L * 1024 * 1024;
}
