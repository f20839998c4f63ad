namespace WebFarm.State.Storage;

/// <summary>What happens when a write needs memory over maxmemory (Redis's maxmemory-policy; LFU is not offered).</summary>
public enum MaxMemoryPolicy
{
    /// <summary>Refuse writes that need memory with Redis's OOM error (Redis's default).</summary>
    NoEviction,

    /// <summary>Evict the least recently used key (approximate, sampled).</summary>
    AllKeysLru,

    /// <summary>Evict the least recently used key among keys with a TTL.</summary>
    VolatileLru,

    /// <summary>Evict a random key.</summary>
    AllKeysRandom,

    /// <summary>Evict a random key among keys with a TTL.</summary>
    VolatileRandom,

    /// <summary>Evict the key with the nearest expiry (sampled).</summary>
    VolatileTtl,
}
