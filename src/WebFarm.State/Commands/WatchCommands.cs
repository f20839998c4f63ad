using WebFarm.State.Protocol;
using WebFarm.State.Storage;

namespace WebFarm.State.Commands;

/// <summary>
/// WATCH/UNWATCH: optimistic check-and-set for MULTI/EXEC. The keyspace flags a watching client when a
/// watched key changes in any way (write, TTL change, deletion, expiry, eviction, flush); EXEC then answers
/// a nil array and runs nothing.
/// </summary>
internal static class WatchCommands
{
    public static void Register(CommandTable table)
    {
        // WATCH is not queued inside MULTI: it runs and answers the error, as in Redis.
        table.Add("watch", -2, CommandFlags.NoQueue | CommandFlags.Fast, 1, -1, 1, Watch);
        table.Add("unwatch", 1, CommandFlags.Fast, 0, 0, 0, Unwatch);
    }

    /// <summary>
    /// For EXEC: true when the transaction must not run because a watched key changed, or is logically
    /// expired now while it was alive at WATCH (an expiry nobody has acted on yet still counts, as in Redis).
    /// </summary>
    public static bool WatchedKeyChanged(ClientSession c)
    {
        var watches = c.Watches;
        if (watches is null || watches.Keys.Count == 0)
        {
            return false;
        }

        if (watches.Dirty)
        {
            return true;
        }

        foreach (var watched in watches.Keys)
        {
            if (!watched.Expired && IsLogicallyExpired(c.Store, watched.Key))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>EXEC, DISCARD, UNWATCH and RESET forget every watched key.</summary>
    public static void UnwatchAll(ClientSession c)
    {
        if (c.Watches is not null)
        {
            c.Store.Keys.Watches.UnwatchAll(c.Watches);
        }
    }

    private static void Watch(ClientSession c, scoped CommandArgs a)
    {
        if (c.InMulti)
        {
            c.Reply.Error("ERR WATCH inside MULTI is not allowed");
            return;
        }

        var watches = c.Watches ??= new KeyWatches();
        // Once dirty, the next EXEC fails whatever else is watched; no point recording more.
        if (!watches.Dirty)
        {
            for (var i = 1; i < a.Count; i++)
            {
                c.Store.Keys.Watches.Watch(watches, a[i], IsLogicallyExpired(c.Store, a[i]));
            }
        }

        c.Reply.Ok();
    }

    private static void Unwatch(ClientSession c, scoped CommandArgs a)
    {
        UnwatchAll(c);
        c.Reply.Ok();
    }

    private static bool IsLogicallyExpired(StateStore store, ReadOnlySpan<byte> key)
        => store.Keys.Find(key) is { ExpireAtMs: not 0 } entry && entry.ExpireAtMs <= store.NowMs && !store.IsReplica;
}
