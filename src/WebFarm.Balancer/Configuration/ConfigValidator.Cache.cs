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

        if (cache.Disk is { } disk)
        {
            if (string.IsNullOrEmpty(disk.Path))
            {
                error(path + ".Disk.Path", "is required: the folder the route's evicted entries are written to, like \"/var/cache/webfarm/static\"");
            }
            else if (!System.IO.Path.IsPathFullyQualified(disk.Path))
            {
                error(path + ".Disk.Path", $"'{disk.Path}' is not an absolute path (a relative one would depend on the balancer's working folder)");
            }

            if (disk.MaxBytes <= 0)
            {
                error(path + ".Disk.MaxBytes", $"must be a positive number of bytes, like 1073741824 (1 GiB); got {disk.MaxBytes}");
            }
            else if (disk.MaxBytes < cache.MaxEntrySize)
            {
                error(path + ".Disk.MaxBytes", $"{disk.MaxBytes} is smaller than MaxEntrySize ({cache.MaxEntrySize}): the largest entries could never be written");
            }
        }

        for (var i = 0; i < cache.IgnoreQueryParameters.Count; i++)
        {
            if (string.IsNullOrEmpty(cache.IgnoreQueryParameters[i]))
            {
                error($"{path}.IgnoreQueryParameters[{i}]", "a query parameter name must not be empty");
            }
        }
    }

    /// <summary>Two routes sharing a disk folder would delete each other's files (each keeps its own index and limit).</summary>
    private static void ValidateDiskFolderIsOwn(CacheOptions cache, string path, Dictionary<string, string> taken, Action<string, string> error)
    {
        if (cache.Disk?.Path is not { Length: > 0 } folder || !System.IO.Path.IsPathFullyQualified(folder))
        {
            return;
        }

        var full = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(folder));
        if (!taken.TryAdd(full, path))
        {
            error(path, $"'{folder}' is already the disk folder of {taken[full]}: each route's cache needs a folder of its own");
        }
    }
}
