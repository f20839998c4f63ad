namespace WebFarm.AspNetCore.Resp;

/// <summary>
/// Running totals of a <see cref="RespClient"/>'s cluster routing (all zero outside cluster mode), read by the
/// library's metrics. Interlocked counters: incremented on the command path, so no lock and no allocation.
/// </summary>
public sealed class RespClientStatistics
{
    private long _moved;
    private long _ask;
    private long _mapRefreshes;
    private long _mapRefreshFailures;

    /// <summary><c>MOVED</c> redirections followed (a slot changed master: resharding or failover).</summary>
    public long MovedRedirections => Interlocked.Read(ref _moved);

    /// <summary><c>ASK</c> redirections followed (a slot being migrated).</summary>
    public long AskRedirections => Interlocked.Read(ref _ask);

    /// <summary>Slot maps read from the cluster (first discovery included).</summary>
    public long SlotMapRefreshes => Interlocked.Read(ref _mapRefreshes);

    /// <summary>Attempts to read the slot map that found no node answering with a valid map.</summary>
    public long SlotMapRefreshFailures => Interlocked.Read(ref _mapRefreshFailures);

    internal void Moved() => Interlocked.Increment(ref _moved);

    internal void Ask() => Interlocked.Increment(ref _ask);

    internal void MapRefreshed() => Interlocked.Increment(ref _mapRefreshes);

    internal void MapRefreshFailed() => Interlocked.Increment(ref _mapRefreshFailures);
}
