using System.Buffers.Text;
using WebFarm.State.Protocol;
using WebFarm.State.PubSub;
using WebFarm.State.Storage;

namespace WebFarm.State.Commands;

/// <summary>Hash commands (the shape ASP.NET Core's Redis cache stores entries in).</summary>
internal static class HashCommands
{
    public static void Register(CommandTable table)
    {
        const CommandFlags W = CommandFlags.Write;
        const CommandFlags R = CommandFlags.ReadOnly;
        table.Add("hset", -4, W | CommandFlags.DenyOom, 1, 1, 1, (c, a) => HSet(c, a, "hset"));
        table.Add("hmset", -4, W | CommandFlags.DenyOom, 1, 1, 1, (c, a) => HSet(c, a, "hmset"));
        table.Add("hsetnx", 4, W | CommandFlags.DenyOom, 1, 1, 1, HSetNx);
        table.Add("hget", 3, R | CommandFlags.Fast, 1, 1, 1, HGet);
        table.Add("hmget", -3, R | CommandFlags.Fast, 1, 1, 1, HMGet);
        table.Add("hgetall", 2, R, 1, 1, 1, (c, a) => HGetAll(c, a, keys: true, values: true));
        table.Add("hkeys", 2, R, 1, 1, 1, (c, a) => HGetAll(c, a, keys: true, values: false));
        table.Add("hvals", 2, R, 1, 1, 1, (c, a) => HGetAll(c, a, keys: false, values: true));
        table.Add("hdel", -3, W, 1, 1, 1, HDel);
        table.Add("hexists", 3, R | CommandFlags.Fast, 1, 1, 1, HExists);
        table.Add("hlen", 2, R | CommandFlags.Fast, 1, 1, 1, HLen);
        table.Add("hstrlen", 3, R | CommandFlags.Fast, 1, 1, 1, HStrLen);
        table.Add("hincrby", 4, W | CommandFlags.DenyOom, 1, 1, 1, HIncrBy);
    }

    /// <summary>Finds the hash at a key. Returns false (after replying WRONGTYPE) when the key holds a string.</summary>
    internal static bool TryGetHash(ClientSession c, ReadOnlySpan<byte> key, out KeyEntry? entry, out HashValue? hash)
    {
        entry = c.Store.Lookup(key, c.IsMasterLink);
        hash = entry?.Value as HashValue;
        if (entry is not null && hash is null)
        {
            c.Reply.Error(ErrorReplies.WrongType);
            return false;
        }

        return true;
    }

    internal static HashValue CreateHash(ClientSession c, ReadOnlySpan<byte> key, out KeyEntry entry)
    {
        var hash = new HashValue();
        entry = c.Store.Keys.Add(key, hash);
        return hash;
    }

    private static void HSet(ClientSession c, scoped CommandArgs a, string name)
    {
        if ((a.Count & 1) != 0)
        {
            c.Reply.Error(ErrorReplies.WrongArity(name));
            return;
        }

        if (!TryGetHash(c, a[1], out var entry, out var hash))
        {
            return;
        }

        hash ??= CreateHash(c, a[1], out entry);
        var added = 0;
        for (var i = 2; i < a.Count; i += 2)
        {
            if (hash.Set(a[i], a[i + 1]))
            {
                added++;
            }
        }

        c.Store.Keys.Account(entry!);
        c.Store.Feed.Propagate(a);
        c.Store.Events.Notify(KeyspaceEventTypes.Hash, "hset"u8, a[1]);
        if (name == "hmset")
        {
            c.Reply.Ok();
        }
        else
        {
            c.Reply.Integer(added);
        }
    }

    private static void HSetNx(ClientSession c, scoped CommandArgs a)
    {
        if (!TryGetHash(c, a[1], out var entry, out var hash))
        {
            return;
        }

        if (hash is not null && hash.TryGet(a[2], out _))
        {
            c.Reply.Integer(0);
            return;
        }

        hash ??= CreateHash(c, a[1], out entry);
        hash.Set(a[2], a[3]);
        c.Store.Keys.Account(entry!);
        c.Store.Feed.Propagate(a);
        c.Store.Events.Notify(KeyspaceEventTypes.Hash, "hset"u8, a[1]);
        c.Reply.Integer(1);
    }

    private static void HGet(ClientSession c, scoped CommandArgs a)
    {
        if (!TryGetHash(c, a[1], out _, out var hash))
        {
            return;
        }

        if (hash is not null && hash.TryGet(a[2], out var value))
        {
            c.Reply.Bulk(value);
        }
        else
        {
            c.Reply.NullBulk();
        }
    }

    private static void HMGet(ClientSession c, scoped CommandArgs a)
    {
        if (!TryGetHash(c, a[1], out _, out var hash))
        {
            return;
        }

        c.Reply.ArrayHeader(a.Count - 2);
        for (var i = 2; i < a.Count; i++)
        {
            if (hash is not null && hash.TryGet(a[i], out var value))
            {
                c.Reply.Bulk(value);
            }
            else
            {
                c.Reply.NullBulk();
            }
        }
    }

    private static void HGetAll(ClientSession c, scoped CommandArgs a, bool keys, bool values)
    {
        if (!TryGetHash(c, a[1], out _, out var hash))
        {
            return;
        }

        if (hash is null)
        {
            c.Reply.EmptyArray();
            return;
        }

        c.Reply.ArrayHeader(hash.Count * ((keys ? 1 : 0) + (values ? 1 : 0)));
        foreach (var (field, value) in hash.Fields)
        {
            if (keys)
            {
                c.Reply.Bulk(field);
            }

            if (values)
            {
                c.Reply.Bulk(value);
            }
        }
    }

    private static void HDel(ClientSession c, scoped CommandArgs a)
    {
        if (!TryGetHash(c, a[1], out var entry, out var hash))
        {
            return;
        }

        if (hash is null)
        {
            c.Reply.Integer(0);
            return;
        }

        var removed = 0;
        for (var i = 2; i < a.Count; i++)
        {
            if (hash.Remove(a[i]))
            {
                removed++;
            }
        }

        if (hash.Count == 0)
        {
            c.Store.Delete(entry!);
        }
        else
        {
            c.Store.Keys.Account(entry!);
        }

        if (removed > 0)
        {
            c.Store.Feed.Propagate(a);
            c.Store.Events.Notify(KeyspaceEventTypes.Hash, "hdel"u8, a[1]);
            if (hash.Count == 0)
            {
                c.Store.Events.Notify(KeyspaceEventTypes.Generic, "del"u8, a[1]);
            }
        }

        c.Reply.Integer(removed);
    }

    private static void HExists(ClientSession c, scoped CommandArgs a)
    {
        if (TryGetHash(c, a[1], out _, out var hash))
        {
            c.Reply.Integer(hash is not null && hash.TryGet(a[2], out _) ? 1 : 0);
        }
    }

    private static void HLen(ClientSession c, scoped CommandArgs a)
    {
        if (TryGetHash(c, a[1], out _, out var hash))
        {
            c.Reply.Integer(hash?.Count ?? 0);
        }
    }

    private static void HStrLen(ClientSession c, scoped CommandArgs a)
    {
        if (TryGetHash(c, a[1], out _, out var hash))
        {
            c.Reply.Integer(hash is not null && hash.TryGet(a[2], out var value) ? value.Length : 0);
        }
    }

    private static void HIncrBy(ClientSession c, scoped CommandArgs a)
    {
        if (!Text.TryLong(a[3], out var delta))
        {
            c.Reply.Error(ErrorReplies.NotInteger);
            return;
        }

        if (!TryGetHash(c, a[1], out var entry, out var hash))
        {
            return;
        }

        long current = 0;
        if (hash is not null && hash.TryGet(a[2], out var existing) && !Text.TryLong(existing, out current))
        {
            c.Reply.Error("ERR hash value is not an integer");
            return;
        }

        if ((delta > 0 && current > long.MaxValue - delta) || (delta < 0 && current < long.MinValue - delta))
        {
            c.Reply.Error(ErrorReplies.Overflow);
            return;
        }

        hash ??= CreateHash(c, a[1], out entry);
        Span<byte> text = stackalloc byte[20];
        Utf8Formatter.TryFormat(current + delta, text, out var n);
        hash.Set(a[2], text[..n]);
        c.Store.Keys.Account(entry!);
        c.Store.Feed.Propagate(a);
        c.Store.Events.Notify(KeyspaceEventTypes.Hash, "hincrby"u8, a[1]);
        c.Reply.Integer(current + delta);
    }
}
