using WebFarm.Balancer.Configuration;

namespace WebFarm.Balancer.Caching;

/// <summary>
/// Every route's <see cref="ResponseCache"/>, kept across reloads: a route is known by its Host, Path, Headers and farm
/// (ConfigValidator makes Host, Path and Headers unique), so a reload that keeps a route keeps its entries and takes its
/// new settings; a removed route's entries go with it. Written only by configuration builds (under the runtime's
/// change lock), read by the admin API's purge and /metrics.
/// </summary>
public sealed class ResponseCaches
{
    private readonly TimeProvider _clock;
    private volatile Dictionary<string, ResponseCache> _byRoute = new(StringComparer.Ordinal);

    public ResponseCaches(TimeProvider? clock = null) => _clock = clock ?? TimeProvider.System;

    public CacheStatistics Statistics { get; } = new();

    /// <summary>Entries in all routes' caches.</summary>
    public int Count
    {
        get
        {
            var count = 0;
            foreach (var cache in _byRoute.Values)
            {
                count += cache.Count;
            }

            return count;
        }
    }

    /// <summary>Bytes accounted in all routes' caches.</summary>
    public long Bytes
    {
        get
        {
            long bytes = 0;
            foreach (var cache in _byRoute.Values)
            {
                bytes += cache.Bytes;
            }

            return bytes;
        }
    }

    /// <summary>Bytes of files in all routes' disk tiers.</summary>
    public long DiskBytes
    {
        get
        {
            long bytes = 0;
            foreach (var cache in _byRoute.Values)
            {
                bytes += cache.Disk?.Bytes ?? 0;
            }

            return bytes;
        }
    }

    /// <summary>
    /// The caches of <paramref name="routes"/> (null for a route without one), index for index, each with its disk tier
    /// from <see cref="OpenDiskTiers"/>; forgets the others.
    /// </summary>
    internal ResponseCache?[] Rebuild(IReadOnlyList<RouteOptions> routes, CacheDiskTier?[] disks)
    {
        var old = _byRoute;
        var next = new Dictionary<string, ResponseCache>(StringComparer.Ordinal);
        var result = new ResponseCache?[routes.Count];
        for (var i = 0; i < routes.Count; i++)
        {
            var route = routes[i];
            if (route.Cache is null)
            {
                continue;
            }

            var identity = Identity(route);
            if (old.TryGetValue(identity, out var cache))
            {
                cache.Update(route.Cache, disks[i]);
            }
            else
            {
                cache = new ResponseCache(route.Cache, Statistics, _clock, disks[i]);
            }

            next[identity] = cache;
            result[i] = cache;
        }

        _byRoute = next;
        return result;
    }

    /// <summary>
    /// Every route's disk tier for a configuration about to be applied: the one it has when its folder and limit did
    /// not change, else the folder opened now. The applier calls this before anything changes, so a folder that cannot
    /// be used rejects the whole configuration (with its JSON path) and leaves every route and farm as it was.
    /// </summary>
    internal CacheDiskTier?[] OpenDiskTiers(IReadOnlyList<RouteOptions> routes, string? sourcePath)
    {
        var old = _byRoute;
        var disks = new CacheDiskTier?[routes.Count];
        for (var i = 0; i < routes.Count; i++)
        {
            if (routes[i].Cache?.Disk is not { } disk)
            {
                continue;
            }

            if (old.TryGetValue(Identity(routes[i]), out var cache) && cache.Disk is { } current && current.Options == disk)
            {
                disks[i] = current;
                continue;
            }

            try
            {
                disks[i] = new CacheDiskTier(disk, Statistics, _clock);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The disk folder cannot be created or read: a configuration error with its path, not a crash.
                throw new ConfigException([new ConfigError(sourcePath, $"$.Routes[{i}].Cache.Disk.Path", $"'{disk.Path}' cannot be used as the cache's disk folder: {ex.Message}")]);
            }
        }

        return disks;
    }

    /// <summary>Removes the copies of <paramref name="url"/> (every variant, GET and HEAD alike) from every route's cache.</summary>
    public int PurgeUrl(Uri url)
    {
        var removed = 0;
        foreach (var cache in _byRoute.Values)
        {
            var key = CacheKey.For(url, cache.Options.IgnoreQueryParameters);
            removed += cache.Purge(k => string.Equals(k, key, StringComparison.Ordinal));
        }

        return removed;
    }

    /// <summary>
    /// Removes every copy under <paramref name="prefix"/>: an absolute URL prefix ("http://example.com/img/") or a
    /// path prefix ("/img/", any host). Both compare case-sensitively, except the host.
    /// </summary>
    public int PurgePrefix(string prefix)
    {
        Func<string, bool> matches;
        if (prefix.StartsWith('/'))
        {
            matches = key =>
            {
                var slash = key.IndexOf('/', StringComparison.Ordinal);
                return slash >= 0 && key.AsSpan(slash).StartsWith(prefix, StringComparison.Ordinal);
            };
        }
        else
        {
            var url = new Uri(prefix, UriKind.Absolute);
            var start = url.Authority.ToLowerInvariant() + url.PathAndQuery;
            matches = key => key.StartsWith(start, StringComparison.Ordinal);
        }

        var removed = 0;
        foreach (var cache in _byRoute.Values)
        {
            removed += cache.Purge(matches);
        }

        return removed;
    }

    /// <summary>The route's unique key (<see cref="ConfigValidator.RouteKey"/>) and its farm, upper-cased: the key compares case-insensitively.</summary>
    private static string Identity(RouteOptions route) => ConfigValidator.RouteKey(route).ToUpperInvariant() + "|" + route.Farm;
}
