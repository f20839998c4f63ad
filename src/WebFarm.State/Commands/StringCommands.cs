using System.Buffers.Text;
using WebFarm.State.Protocol;
using WebFarm.State.PubSub;
using WebFarm.State.Storage;

namespace WebFarm.State.Commands;

/// <summary>String commands. String values are immutable byte arrays: every change stores a new array.</summary>
internal static class StringCommands
{
    public static void Register(CommandTable table)
    {
        const CommandFlags W = CommandFlags.Write;
        const CommandFlags R = CommandFlags.ReadOnly | CommandFlags.Fast;
        table.Add("get", 2, R, 1, 1, 1, Get);
        table.Add("set", -3, W | CommandFlags.DenyOom, 1, 1, 1, Set);
        table.Add("setnx", 3, W | CommandFlags.DenyOom, 1, 1, 1, SetNx);
        table.Add("setex", 4, W | CommandFlags.DenyOom, 1, 1, 1, (c, a) => SetWithTtl(c, a, seconds: true));
        table.Add("psetex", 4, W | CommandFlags.DenyOom, 1, 1, 1, (c, a) => SetWithTtl(c, a, seconds: false));
        table.Add("getset", 3, W | CommandFlags.DenyOom, 1, 1, 1, GetSet);
        table.Add("mget", -2, R, 1, -1, 1, MGet);
        table.Add("mset", -3, W | CommandFlags.DenyOom, 1, -1, 2, MSet);
        table.Add("msetnx", -3, W | CommandFlags.DenyOom, 1, -1, 2, MSetNx);
        table.Add("getdel", 2, W, 1, 1, 1, GetDel);
        table.Add("getex", -2, W, 1, 1, 1, GetEx);
        table.Add("append", 3, W | CommandFlags.DenyOom, 1, 1, 1, Append);
        table.Add("strlen", 2, R, 1, 1, 1, StrLen);
        table.Add("incr", 2, W | CommandFlags.DenyOom, 1, 1, 1, (c, a) => IncrBy(c, a, 1));
        table.Add("decr", 2, W | CommandFlags.DenyOom, 1, 1, 1, (c, a) => IncrBy(c, a, -1));
        table.Add("incrby", 3, W | CommandFlags.DenyOom, 1, 1, 1, (c, a) => IncrByArg(c, a, negate: false));
        table.Add("decrby", 3, W | CommandFlags.DenyOom, 1, 1, 1, (c, a) => IncrByArg(c, a, negate: true));
    }

    private static void Get(ClientSession c, scoped CommandArgs a)
    {
        var entry = c.Store.Lookup(a[1], c.IsMasterLink);
        if (entry is null)
        {
            c.Store.Misses++;
            c.Reply.NullBulk();
        }
        else if (entry.Value is byte[] value)
        {
            c.Store.Hits++;
            c.Reply.Bulk(value);
        }
        else
        {
            c.Reply.Error(ErrorReplies.WrongType);
        }
    }

    private static void Set(ClientSession c, scoped CommandArgs a)
    {
        bool nx = false, xx = false, get = false, keepTtl = false;
        long expireAt = 0;
        for (var i = 3; i < a.Count; i++)
        {
            var option = a[i];
            if (Text.Is(option, "NX"u8) && !xx)
            {
                nx = true;
            }
            else if (Text.Is(option, "XX"u8) && !nx)
            {
                xx = true;
            }
            else if (Text.Is(option, "GET"u8))
            {
                get = true;
            }
            else if (Text.Is(option, "KEEPTTL"u8) && expireAt == 0)
            {
                keepTtl = true;
            }
            else if (ExpiryOption.IsExpiryKeyword(option) && !keepTtl && expireAt == 0 && i + 1 < a.Count)
            {
                if (!ExpiryOption.TryParseOrReply(c, option, a[++i], "set", out expireAt))
                {
                    return;
                }
            }
            else
            {
                c.Reply.Error(ErrorReplies.Syntax);
                return;
            }
        }

        var entry = c.Store.Lookup(a[1], c.IsMasterLink);
        if (get && entry is not null && entry.Value is not byte[])
        {
            c.Reply.Error(ErrorReplies.WrongType);
            return;
        }

        var old = entry?.Value as byte[];
        if ((nx && entry is not null) || (xx && entry is null))
        {
            if (get && old is not null)
            {
                c.Reply.Bulk(old);
            }
            else
            {
                c.Reply.NullBulk();
            }

            return;
        }

        entry = Store(c.Store, entry, a[1], a[2].ToArray());
        if (expireAt != 0)
        {
            c.Store.Keys.SetExpire(entry, expireAt);
        }
        else if (!keepTtl)
        {
            c.Store.Keys.ClearExpire(entry);
        }

        var feed = c.Store.Feed;
        if (feed.Enabled)
        {
            feed.Begin(expireAt != 0 ? 5 : keepTtl ? 4 : 3);
            feed.Arg("SET"u8);
            feed.Arg(a[1]);
            feed.Arg(a[2]);
            if (expireAt != 0)
            {
                feed.Arg("PXAT"u8);
                feed.Arg(expireAt);
            }
            else if (keepTtl)
            {
                feed.Arg("KEEPTTL"u8);
            }

            feed.End();
        }

        NotifySet(c, a[1], expireAt);
        if (!get)
        {
            c.Reply.Ok();
        }
        else if (old is not null)
        {
            c.Reply.Bulk(old);
        }
        else
        {
            c.Reply.NullBulk();
        }
    }

    private static void SetNx(ClientSession c, scoped CommandArgs a)
    {
        if (c.Store.Lookup(a[1], c.IsMasterLink) is not null)
        {
            c.Reply.Integer(0);
            return;
        }

        Store(c.Store, null, a[1], a[2].ToArray());
        PropagateSet(c.Store.Feed, a[1], a[2], 0);
        NotifySet(c, a[1], 0);
        c.Reply.Integer(1);
    }

    private static void SetWithTtl(ClientSession c, scoped CommandArgs a, bool seconds)
    {
        if (!Text.TryLong(a[2], out var amount))
        {
            c.Reply.Error(ErrorReplies.NotInteger);
            return;
        }

        var name = seconds ? "setex" : "psetex";
        if (amount <= 0 || (seconds && amount > long.MaxValue / 1000))
        {
            c.Reply.Error(ErrorReplies.InvalidExpire(name));
            return;
        }

        var ms = seconds ? amount * 1000 : amount;
        if (ms > long.MaxValue - c.Store.NowMs)
        {
            c.Reply.Error(ErrorReplies.InvalidExpire(name));
            return;
        }

        var expireAt = c.Store.NowMs + ms;
        var entry = Store(c.Store, c.Store.Lookup(a[1], c.IsMasterLink), a[1], a[3].ToArray());
        c.Store.Keys.SetExpire(entry, expireAt);
        PropagateSet(c.Store.Feed, a[1], a[3], expireAt);
        NotifySet(c, a[1], expireAt);
        c.Reply.Ok();
    }

    private static void GetSet(ClientSession c, scoped CommandArgs a)
    {
        var entry = c.Store.Lookup(a[1], c.IsMasterLink);
        if (entry is not null && entry.Value is not byte[])
        {
            c.Reply.Error(ErrorReplies.WrongType);
            return;
        }

        var old = entry?.Value as byte[];
        entry = Store(c.Store, entry, a[1], a[2].ToArray());
        c.Store.Keys.ClearExpire(entry);
        PropagateSet(c.Store.Feed, a[1], a[2], 0);
        NotifySet(c, a[1], 0);
        if (old is null)
        {
            c.Reply.NullBulk();
        }
        else
        {
            c.Reply.Bulk(old);
        }
    }

    private static void MGet(ClientSession c, scoped CommandArgs a)
    {
        c.Reply.ArrayHeader(a.Count - 1);
        for (var i = 1; i < a.Count; i++)
        {
            if (c.Store.Lookup(a[i], c.IsMasterLink)?.Value is byte[] value)
            {
                c.Store.Hits++;
                c.Reply.Bulk(value);
            }
            else
            {
                c.Store.Misses++;
                c.Reply.NullBulk();
            }
        }
    }

    private static void MSet(ClientSession c, scoped CommandArgs a)
    {
        if ((a.Count & 1) == 0)
        {
            c.Reply.Error(ErrorReplies.WrongArity("mset"));
            return;
        }

        for (var i = 1; i < a.Count; i += 2)
        {
            var entry = Store(c.Store, c.Store.Lookup(a[i], c.IsMasterLink), a[i], a[i + 1].ToArray());
            c.Store.Keys.ClearExpire(entry);
            NotifySet(c, a[i], 0);
        }

        c.Store.Feed.Propagate(a);
        c.Reply.Ok();
    }

    /// <summary>MSETNX: all keys are set, or none when any of them exists.</summary>
    private static void MSetNx(ClientSession c, scoped CommandArgs a)
    {
        if ((a.Count & 1) == 0)
        {
            c.Reply.Error(ErrorReplies.WrongArity("msetnx"));
            return;
        }

        for (var i = 1; i < a.Count; i += 2)
        {
            if (c.Store.Lookup(a[i], c.IsMasterLink) is not null)
            {
                c.Reply.Integer(0);
                return;
            }
        }

        for (var i = 1; i < a.Count; i += 2)
        {
            // A key named twice: the later value wins, as in Redis.
            Store(c.Store, c.Store.Keys.Find(a[i]), a[i], a[i + 1].ToArray());
            NotifySet(c, a[i], 0);
        }

        c.Store.Feed.Propagate(a);
        c.Reply.Integer(1);
    }

    private static void GetDel(ClientSession c, scoped CommandArgs a)
    {
        var entry = c.Store.Lookup(a[1], c.IsMasterLink);
        if (entry is null)
        {
            c.Reply.NullBulk();
            return;
        }

        if (entry.Value is not byte[] value)
        {
            c.Reply.Error(ErrorReplies.WrongType);
            return;
        }

        c.Store.Delete(entry);
        c.Store.Feed.PropagateDel(entry.Key);
        c.Store.Events.Notify(KeyspaceEventTypes.Generic, "del"u8, entry.Key);
        c.Reply.Bulk(value);
    }

    private static void GetEx(ClientSession c, scoped CommandArgs a)
    {
        long expireAt = 0;
        var persist = false;
        for (var i = 2; i < a.Count; i++)
        {
            var option = a[i];
            if (Text.Is(option, "PERSIST"u8) && expireAt == 0 && !persist)
            {
                persist = true;
            }
            else if (ExpiryOption.IsExpiryKeyword(option) && expireAt == 0 && !persist && i + 1 < a.Count)
            {
                if (!ExpiryOption.TryParseOrReply(c, option, a[++i], "getex", out expireAt))
                {
                    return;
                }
            }
            else
            {
                c.Reply.Error(ErrorReplies.Syntax);
                return;
            }
        }

        var entry = c.Store.Lookup(a[1], c.IsMasterLink);
        if (entry is null)
        {
            c.Reply.NullBulk();
            return;
        }

        if (entry.Value is not byte[] value)
        {
            c.Reply.Error(ErrorReplies.WrongType);
            return;
        }

        var feed = c.Store.Feed;
        if (expireAt != 0)
        {
            c.Store.Keys.SetExpire(entry, expireAt);
            if (feed.Enabled)
            {
                feed.Begin(3);
                feed.Arg("PEXPIREAT"u8);
                feed.Arg(a[1]);
                feed.Arg(expireAt);
                feed.End();
            }

            c.Store.Events.Notify(KeyspaceEventTypes.Generic, "expire"u8, a[1]);
        }
        else if (persist && entry.ExpireAtMs != 0)
        {
            c.Store.Keys.ClearExpire(entry);
            if (feed.Enabled)
            {
                feed.Begin(2);
                feed.Arg("PERSIST"u8);
                feed.Arg(a[1]);
                feed.End();
            }

            c.Store.Events.Notify(KeyspaceEventTypes.Generic, "persist"u8, a[1]);
        }

        c.Reply.Bulk(value);
    }

    private static void Append(ClientSession c, scoped CommandArgs a)
    {
        var entry = c.Store.Lookup(a[1], c.IsMasterLink);
        if (entry is not null && entry.Value is not byte[])
        {
            c.Reply.Error(ErrorReplies.WrongType);
            return;
        }

        var old = entry?.Value as byte[] ?? [];
        var combined = new byte[old.Length + a[2].Length];
        old.CopyTo(combined, 0);
        a[2].CopyTo(combined.AsSpan(old.Length));
        Store(c.Store, entry, a[1], combined);
        c.Store.Feed.Propagate(a);
        c.Store.Events.Notify(KeyspaceEventTypes.String, "append"u8, a[1]);
        c.Reply.Integer(combined.Length);
    }

    private static void StrLen(ClientSession c, scoped CommandArgs a)
    {
        var entry = c.Store.Lookup(a[1], c.IsMasterLink);
        if (entry is null)
        {
            c.Reply.Integer(0);
        }
        else if (entry.Value is byte[] value)
        {
            c.Reply.Integer(value.Length);
        }
        else
        {
            c.Reply.Error(ErrorReplies.WrongType);
        }
    }

    private static void IncrByArg(ClientSession c, scoped CommandArgs a, bool negate)
    {
        if (!Text.TryLong(a[2], out var delta) || (negate && delta == long.MinValue))
        {
            c.Reply.Error(negate && delta == long.MinValue ? "ERR decrement would overflow" : ErrorReplies.NotInteger);
            return;
        }

        IncrBy(c, a, negate ? -delta : delta);
    }

    private static void IncrBy(ClientSession c, scoped CommandArgs a, long delta)
    {
        var entry = c.Store.Lookup(a[1], c.IsMasterLink);
        long current = 0;
        if (entry is not null)
        {
            if (entry.Value is not byte[] bytes)
            {
                c.Reply.Error(ErrorReplies.WrongType);
                return;
            }

            if (!Text.TryLong(bytes, out current))
            {
                c.Reply.Error(ErrorReplies.NotInteger);
                return;
            }
        }

        if ((delta > 0 && current > long.MaxValue - delta) || (delta < 0 && current < long.MinValue - delta))
        {
            c.Reply.Error(ErrorReplies.Overflow);
            return;
        }

        var result = current + delta;
        Span<byte> text = stackalloc byte[20];
        Utf8Formatter.TryFormat(result, text, out var n);
        Store(c.Store, entry, a[1], text[..n].ToArray());
        c.Store.Feed.Propagate(a);
        c.Store.Events.Notify(KeyspaceEventTypes.String, "incrby"u8, a[1]);
        c.Reply.Integer(result);
    }

    /// <summary>Stores a string value in an existing entry (keeping its TTL) or a new one.</summary>
    internal static KeyEntry Store(StateStore store, KeyEntry? entry, ReadOnlySpan<byte> key, byte[] value)
    {
        if (entry is null)
        {
            return store.Keys.Add(key, value);
        }

        entry.Value = value;
        store.Keys.Account(entry);
        return entry;
    }

    /// <summary>Keyspace events of a SET-like write: "set", and "expire" when it gave the key a TTL (Redis's order).</summary>
    private static void NotifySet(ClientSession c, ReadOnlySpan<byte> key, long expireAt)
    {
        c.Store.Events.Notify(KeyspaceEventTypes.String, "set"u8, key);
        if (expireAt != 0)
        {
            c.Store.Events.Notify(KeyspaceEventTypes.Generic, "expire"u8, key);
        }
    }

    private static void PropagateSet(CommandFeed feed, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long expireAt)
    {
        if (!feed.Enabled)
        {
            return;
        }

        feed.Begin(expireAt != 0 ? 5 : 3);
        feed.Arg("SET"u8);
        feed.Arg(key);
        feed.Arg(value);
        if (expireAt != 0)
        {
            feed.Arg("PXAT"u8);
            feed.Arg(expireAt);
        }

        feed.End();
    }
}
