namespace WebFarm.Balancer.Configuration;

internal static partial class ConfigValidator
{
    /// <summary>A route's response cache: positive sizes, an entry that fits the memory, durations that are not negative.</summary>
    private static void ValidateCache(CacheOptions cache, string path, Action<string, string> error)
    {
        if (cache.MaxMemory <= 0)
        {
            error(path + ".MaxMemory", $"must be a positive number of bytes, like 67108864 (64 MiB); got {cache.MaxMemory}");
        }

        if (cache.MaxEntrySize <= 0)
        {
            error(path + ".MaxEntrySize", $"must be a positive number of bytes, like 1048576 (1 MiB); got {cache.MaxEntrySize}");
        }
        else if (cache.MaxMemory > 0 && cache.MaxEntrySize > cache.MaxMemory)
        {
            error(path + ".MaxEntrySize", $"{cache.MaxEntrySize} is larger than MaxMemory ({cache.MaxMemory}): no such entry could be kept");
        }

        if (cache.DefaultLifetime < TimeSpan.Zero)
        {
            error(path + ".DefaultLifetime", "must not be negative (\"0s\" = responses without freshness information are not stored)");
        }

        if (cache.LockTimeout < TimeSpan.Zero)
        {
            error(path + ".LockTimeout", "must not be negative (\"0s\" = no request waits for another's fetch)");
        }

        if (cache.StaleIfError < TimeSpan.Zero)
        {
            error(path + ".StaleIfError", "must not be negative (\"0s\" = a stale copy is never served)");
        }

        for (var i = 0; i < cache.IgnoreQueryParameters.Count; i++)
        {
            if (string.IsNullOrEmpty(cache.IgnoreQueryParameters[i]))
            {
                error($"{path}.IgnoreQueryParameters[{i}]", "a query parameter name must not be empty");
            }
        }
    }
}
