using WebFarm.State.PubSub;

namespace WebFarm.State.Storage;

/// <summary>
/// The keyspace with its access rules. Like Redis, commands execute one at a time: every call happens
/// under <see cref="Sync"/>, taken once per batch of pipelined commands rather than per command.
/// </summary>
internal sealed class StateStore
{
    public StateStore() => Events = new KeyspaceEvents(PubSub);

    public Lock Sync { get; } = new();

    public Keyspace Keys { get; } = new();

    public CommandFeed Feed { get; } = new();

    /// <summary>Pub/Sub subscriptions; under the same lock, so a notification is ordered with the write that caused it.</summary>
    public PubSubHub PubSub { get; } = new();

    public KeyspaceEvents Events { get; }

    /// <summary>Unix milliseconds, sampled once per batch: commands of one batch agree on "now".</summary>
    public long NowMs { get; private set; } = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>Replicas never expire or evict keys themselves; the master's DEL arrives through the stream.</summary>
    public bool IsReplica { get; set; }

    public long MaxMemory { get; set; }

    public MaxMemoryPolicy Policy { get; set; }

    public int EvictionSamples { get; set; } = 5;

    public long ExpiredKeys { get; private set; }

    public long EvictedKeys { get; private set; }

    /// <summary>Writes refused with OOM (INFO rejected_writes).</summary>
    public long RejectedWrites { get; set; }

    public long Hits { get; set; }

    public long Misses { get; set; }

    public long Commands { get; set; }

    public void BeginBatch() => NowMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>Finds a live key. Logically expired keys are invisible; a master also deletes them.</summary>
    public KeyEntry? Lookup(ReadOnlySpan<byte> key, bool fromMaster = false)
    {
        var entry = Keys.Find(key);
        if (entry is null)
        {
            return null;
        }

        // The master link sees keys as the master does: the master decides when they expire.
        if (entry.ExpireAtMs != 0 && entry.ExpireAtMs <= NowMs && !fromMaster)
        {
            if (!IsReplica)
            {
                Expire(entry);
            }

            return null;
        }

        Keys.Touch(entry);
        return entry;
    }

    public void Delete(KeyEntry entry) => Keys.Remove(entry);

    public void Expire(KeyEntry entry)
    {
        Keys.Remove(entry);
        ExpiredKeys++;
        Feed.PropagateDel(entry.Key);
        Events.Notify(KeyspaceEventTypes.Expired, "expired"u8, entry.Key);
    }

    /// <summary>
    /// Makes room for a write that needs about <paramref name="bytes"/> more, before it runs: evicts per the
    /// policy until it fits, or answers false (the write is refused with OOM). A write bigger than maxmemory
    /// itself is refused without evicting anything, so it can neither be stored and dropped nor empty the store.
    /// </summary>
    public bool TryMakeRoom(long bytes)
    {
        if (MaxMemory <= 0 || IsReplica)
        {
            return true;
        }

        if (bytes > MaxMemory)
        {
            return false;
        }

        while (Keys.UsedBytes + bytes > MaxMemory)
        {
            var victim = PickVictim();
            if (victim is null)
            {
                return false;
            }

            Keys.Remove(victim);
            EvictedKeys++;
            Feed.PropagateDel(victim.Key);
            Events.Notify(KeyspaceEventTypes.Evicted, "evicted"u8, victim.Key);
        }

        return true;
    }

    /// <summary>The key the policy evicts next (sampled, as Redis does), or null when it allows none.</summary>
    private KeyEntry? PickVictim()
    {
        switch (Policy)
        {
            case MaxMemoryPolicy.AllKeysRandom:
                return Keys.SampleAny();
            case MaxMemoryPolicy.VolatileRandom:
                return Keys.SampleVolatile();
            case MaxMemoryPolicy.AllKeysLru or MaxMemoryPolicy.VolatileLru or MaxMemoryPolicy.VolatileTtl:
                KeyEntry? victim = null;
                for (var i = 0; i < EvictionSamples; i++)
                {
                    var candidate = Policy == MaxMemoryPolicy.AllKeysLru ? Keys.SampleAny() : Keys.SampleVolatile();
                    if (candidate is null)
                    {
                        return null;
                    }

                    var better = Policy == MaxMemoryPolicy.VolatileTtl
                        ? victim is null || candidate.ExpireAtMs < victim.ExpireAtMs
                        : victim is null || candidate.LastAccess < victim.LastAccess;
                    if (better)
                    {
                        victim = candidate;
                    }
                }

                return victim;
            default:
                return null;
        }
    }

    /// <summary>
    /// Active expiry (Redis's algorithm): sample keys with a TTL, delete the expired ones, and keep going
    /// while more than a quarter of a sample was expired, within a small time budget so clients are not stalled.
    /// </summary>
    public int ActiveExpireCycle(TimeSpan budget)
    {
        if (IsReplica)
        {
            return 0;
        }

        var deadline = Environment.TickCount64 + (long)budget.TotalMilliseconds;
        var removed = 0;
        while (Keys.VolatileCount > 0)
        {
            var expiredInSample = 0;
            var samples = Math.Min(20, Keys.VolatileCount);
            for (var i = 0; i < samples; i++)
            {
                var entry = Keys.SampleVolatile();
                if (entry is not null && entry.ExpireAtMs <= NowMs)
                {
                    Expire(entry);
                    expiredInSample++;
                }
            }

            removed += expiredInSample;
            if (expiredInSample * 4 <= samples || Environment.TickCount64 > deadline)
            {
                break;
            }
        }

        return removed;
    }

    public void ResetStats()
    {
        ExpiredKeys = 0;
        EvictedKeys = 0;
        RejectedWrites = 0;
        Hits = 0;
        Misses = 0;
        Commands = 0;
    }
}
