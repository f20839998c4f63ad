using Microsoft.Extensions.Caching.Distributed;

namespace WebFarm.AspNetCore.Caching;

/// <summary>Resolves <see cref="DistributedCacheEntryOptions"/> the way Microsoft's distributed caches do.</summary>
internal static class CacheExpiration
{
    /// <summary>The absolute expiration in UTC, or null; throws if it is not in the future.</summary>
    public static DateTimeOffset? Absolute(DistributedCacheEntryOptions options, DateTimeOffset now)
    {
        if (options.AbsoluteExpiration is { } absolute)
        {
            if (absolute <= now)
            {
                throw new ArgumentOutOfRangeException(nameof(options), absolute, "The absolute expiration value must be in the future.");
            }

            return absolute.ToUniversalTime();
        }

        if (options.AbsoluteExpirationRelativeToNow is { } relative)
        {
            if (relative <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(options), relative, "The relative expiration value must be positive.");
            }

            return now + relative;
        }

        return null;
    }

    /// <summary>How long the entry lives from now: the sliding window capped by the absolute expiration.</summary>
    public static TimeSpan? TimeToLive(DateTimeOffset? absolute, TimeSpan? sliding, DateTimeOffset now)
    {
        TimeSpan? untilAbsolute = absolute is { } a ? a - now : null;
        if (sliding is { } s)
        {
            return untilAbsolute is { } u && u < s ? u : s;
        }

        return untilAbsolute;
    }
}
