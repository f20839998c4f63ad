namespace WebFarm.State.Storage;

/// <summary>Redis's names for <see cref="MaxMemoryPolicy"/> values, used by the command line, CONFIG and INFO.</summary>
public static class MaxMemoryPolicyName
{
    private static readonly string[] Names = ["noeviction", "allkeys-lru", "volatile-lru", "allkeys-random", "volatile-random", "volatile-ttl"];

    public static string Format(MaxMemoryPolicy policy) => Names[(int)policy];

    /// <summary>Parses a Redis policy name; LFU policies are refused with the reason.</summary>
    public static bool TryParse(string? text, out MaxMemoryPolicy policy, out string error)
    {
        var index = Array.IndexOf(Names, text?.ToLowerInvariant());
        policy = index < 0 ? MaxMemoryPolicy.NoEviction : (MaxMemoryPolicy)index;
        error = index >= 0 ? string.Empty
            : text is "allkeys-lfu" or "volatile-lfu"
                ? $"'{text}': LFU is not supported by webfarm state (allkeys-lru or volatile-lru evict by recency instead)"
                : $"'{text}' is not one of {string.Join(", ", Names)}";
        return index >= 0;
    }
}
