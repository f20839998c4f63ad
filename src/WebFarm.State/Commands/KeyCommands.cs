using WebFarm.State.Protocol;
using WebFarm.State.PubSub;
using WebFarm.State.Storage;

namespace WebFarm.State.Commands;

/// <summary>Generic key commands: deletion, TTLs, type and iteration.</summary>
internal static class KeyCommands
{
    [Flags]
    private enum ExpireConditions
    {
        None = 0,
        Nx = 1,
        Xx = 2,
        Gt = 4,
        Lt = 8,
    }

    public static void Register(CommandTable table)
    {
        const CommandFlags W = CommandFlags.Write;
        const CommandFlags R = CommandFlags.ReadOnly;
        table.Add("del", -2, W, 1, -1, 1, Del);
        table.Add("unlink", -2, W, 1, -1, 1, Del);
        table.Add("exists", -2, R | CommandFlags.Fast, 1, -1, 1, Exists);
        table.Add("expire", -3, W, 1, 1, 1, (c, a) => Expire(c, a, "expire", seconds: true, relative: true));
        table.Add("pexpire", -3, W, 1, 1, 1, (c, a) => Expire(c, a, "pexpire", seconds: false, relative: true));
        table.Add("expireat", -3, W, 1, 1, 1, (c, a) => Expire(c, a, "expireat", seconds: true, relative: false));
        table.Add("pexpireat", -3, W, 1, 1, 1, (c, a) => Expire(c, a, "pexpireat", seconds: false, relative: false));
        table.Add("persist", 2, W, 1, 1, 1, Persist);
        table.Add("ttl", 2, R | CommandFlags.Fast, 1, 1, 1, (c, a) => Ttl(c, a, milliseconds: false, absolute: false));
        table.Add("pttl", 2, R | CommandFlags.Fast, 1, 1, 1, (c, a) => Ttl(c, a, milliseconds: true, absolute: false));
        table.Add("expiretime", 2, R | CommandFlags.Fast, 1, 1, 1, (c, a) => Ttl(c, a, milliseconds: false, absolute: true));
        table.Add("pexpiretime", 2, R | CommandFlags.Fast, 1, 1, 1, (c, a) => Ttl(c, a, milliseconds: true, absolute: true));
        table.Add("type", 2, R | CommandFlags.Fast, 1, 1, 1, Type);
        table.Add("scan", -2, R, 0, 0, 0, Scan);
        table.Add("keys", 2, R, 0, 0, 0, Keys);
    }

    private static void Del(ClientSession c, scoped CommandArgs a)
    {
        var deleted = 0;
        for (var i = 1; i < a.Count; i++)
        {
            var entry = c.Store.Lookup(a[i], c.IsMasterLink);
            if (entry is not null)
            {
                c.Store.Delete(entry);
                c.Store.Events.Notify(KeyspaceEventTypes.Generic, "del"u8, entry.Key);
                deleted++;
            }
        }

        if (deleted > 0)
        {
            c.Store.Feed.Propagate(a);
        }

        c.Reply.Integer(deleted);
    }

    private static void Exists(ClientSession c, scoped CommandArgs a)
    {
        var found = 0;
        for (var i = 1; i < a.Count; i++)
        {
            if (c.Store.Lookup(a[i], c.IsMasterLink) is not null)
            {
                found++;
            }
        }

        c.Reply.Integer(found);
    }

    private static void Expire(ClientSession c, scoped CommandArgs a, string name, bool seconds, bool relative)
    {
        // Options first, then the time, as Redis's expireGenericCommand does.
        var conditions = ExpireConditions.None;
        for (var i = 3; i < a.Count; i++)
        {
            var next = Text.Is(a[i], "NX"u8) ? ExpireConditions.Nx
                : Text.Is(a[i], "XX"u8) ? ExpireConditions.Xx
                : Text.Is(a[i], "GT"u8) ? ExpireConditions.Gt
                : Text.Is(a[i], "LT"u8) ? ExpireConditions.Lt
                : ExpireConditions.None;
            if (next == ExpireConditions.None)
            {
                c.Reply.Error("ERR Unsupported option " + Text.Printable(a[i], 64));
                return;
            }

            conditions |= next;
        }

        // Redis 7: NX excludes every other option, GT excludes LT; XX combines with GT or LT.
        if ((conditions & ExpireConditions.Nx) != 0 && conditions != ExpireConditions.Nx)
        {
            c.Reply.Error("ERR NX and XX, GT or LT options at the same time are not compatible");
            return;
        }

        if ((conditions & (ExpireConditions.Gt | ExpireConditions.Lt)) == (ExpireConditions.Gt | ExpireConditions.Lt))
        {
            c.Reply.Error("ERR GT and LT options at the same time are not compatible");
            return;
        }

        if (!Text.TryLong(a[2], out var when))
        {
            c.Reply.Error(ErrorReplies.NotInteger);
            return;
        }

        if (seconds)
        {
            if (when > long.MaxValue / 1000 || when < long.MinValue / 1000)
            {
                c.Reply.Error(ErrorReplies.InvalidExpire(name));
                return;
            }

            when *= 1000;
        }

        if (relative)
        {
            if (when > long.MaxValue - c.Store.NowMs)
            {
                c.Reply.Error(ErrorReplies.InvalidExpire(name));
                return;
            }

            when += c.Store.NowMs;
        }

        var entry = c.Store.Lookup(a[1], c.IsMasterLink);
        if (entry is null)
        {
            c.Reply.Integer(0);
            return;
        }

        var current = entry.ExpireAtMs;
        // A key without a TTL counts as an infinite one: GT never beats it, LT always does.
        var allowed = ((conditions & ExpireConditions.Nx) == 0 || current == 0)
            && ((conditions & ExpireConditions.Xx) == 0 || current != 0)
            && ((conditions & ExpireConditions.Gt) == 0 || (current != 0 && when > current))
            && ((conditions & ExpireConditions.Lt) == 0 || current == 0 || when < current);
        if (!allowed)
        {
            c.Reply.Integer(0);
            return;
        }

        // A time in the past deletes the key now (the master decides; the replica just records the time).
        if (when <= c.Store.NowMs && !c.IsMasterLink)
        {
            c.Store.Delete(entry);
            c.Store.Feed.PropagateDel(entry.Key);
            c.Store.Events.Notify(KeyspaceEventTypes.Generic, "del"u8, entry.Key);
            c.Reply.Integer(1);
            return;
        }

        c.Store.Keys.SetExpire(entry, when);
        var feed = c.Store.Feed;
        if (feed.Enabled)
        {
            feed.Begin(3);
            feed.Arg("PEXPIREAT"u8);
            feed.Arg(a[1]);
            feed.Arg(when);
            feed.End();
        }

        c.Store.Events.Notify(KeyspaceEventTypes.Generic, "expire"u8, a[1]);
        c.Reply.Integer(1);
    }

    private static void Persist(ClientSession c, scoped CommandArgs a)
    {
        var entry = c.Store.Lookup(a[1], c.IsMasterLink);
        if (entry is null || entry.ExpireAtMs == 0)
        {
            c.Reply.Integer(0);
            return;
        }

        c.Store.Keys.ClearExpire(entry);
        c.Store.Feed.Propagate(a);
        c.Store.Events.Notify(KeyspaceEventTypes.Generic, "persist"u8, a[1]);
        c.Reply.Integer(1);
    }

    private static void Ttl(ClientSession c, scoped CommandArgs a, bool milliseconds, bool absolute)
    {
        var entry = c.Store.Lookup(a[1], c.IsMasterLink);
        if (entry is null)
        {
            c.Reply.Integer(-2);
        }
        else if (entry.ExpireAtMs == 0)
        {
            c.Reply.Integer(-1);
        }
        else if (absolute)
        {
            c.Reply.Integer(milliseconds ? entry.ExpireAtMs : entry.ExpireAtMs / 1000);
        }
        else
        {
            var remaining = Math.Max(0, entry.ExpireAtMs - c.Store.NowMs);
            c.Reply.Integer(milliseconds ? remaining : (remaining + 500) / 1000);
        }
    }

    private static void Type(ClientSession c, scoped CommandArgs a)
    {
        var entry = c.Store.Lookup(a[1], c.IsMasterLink);
        if (entry is null)
        {
            c.Reply.Raw("+none\r\n"u8);
        }
        else if (entry.Kind == ValueKind.String)
        {
            c.Reply.Raw("+string\r\n"u8);
        }
        else
        {
            c.Reply.Raw("+hash\r\n"u8);
        }
    }

    /// <summary>
    /// SCAN walks the dense key array from the end towards the start. Removal moves the last entry into
    /// the hole, i.e. from the visited part into a lower slot, so keys present for the whole scan are never
    /// missed (they may be returned twice, which SCAN allows).
    /// </summary>
    private static void Scan(ClientSession c, scoped CommandArgs a)
    {
        if (!ulong.TryParse(a[1], out var cursor))
        {
            c.Reply.Error(ErrorReplies.InvalidCursor);
            return;
        }

        if (ScanOptions.Parse(a, 2, allowType: true, out var options) is { } error)
        {
            c.Reply.Error(error);
            return;
        }

        var keys = c.Store.Keys;
        var index = keys.Count == 0 ? -1 : cursor == 0 ? keys.Count - 1 : (int)Math.Min(cursor - 1, (ulong)keys.Count - 1);
        var visited = (int)Math.Min(options.Count, index + 1);
        var next = index - visited;
        var pattern = options.PatternArg >= 0 ? a[options.PatternArg] : default;
        KeyspaceWalk.Capture(c.Store, index - visited + 1, visited, pattern, options.PatternArg < 0, options.TypeFilter, next < 0 ? 0 : next + 1).Run(c);
    }

    private static void Keys(ClientSession c, scoped CommandArgs a)
    {
        if (GlobPattern.CheckLength(a[1]) is { } tooLong)
        {
            c.Reply.Error(tooLong);
            return;
        }

        var matchAll = a[1].Length == 1 && a[1][0] == '*';
        KeyspaceWalk.Capture(c.Store, 0, c.Store.Keys.Count, a[1], matchAll, -1, -1).Run(c);
    }
}
