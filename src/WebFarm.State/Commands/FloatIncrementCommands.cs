using WebFarm.State.Protocol;
using WebFarm.State.PubSub;
using WebFarm.State.Storage;

namespace WebFarm.State.Commands;

/// <summary>
/// INCRBYFLOAT and HINCRBYFLOAT. Both are propagated as a SET/HSET of the result, as Redis does, so a
/// replica or a log replay stores exactly the same text whatever its own float arithmetic would give.
/// </summary>
internal static class FloatIncrementCommands
{
    public static void Register(CommandTable table)
    {
        table.Add("incrbyfloat", 3, CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, 1, 1, 1, IncrByFloat);
        table.Add("hincrbyfloat", 4, CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, 1, 1, 1, HIncrByFloat);
    }

    private static void IncrByFloat(ClientSession c, scoped CommandArgs a)
    {
        var entry = c.Store.Lookup(a[1], c.IsMasterLink);
        var current = FloatValue.Zero;
        if (entry is not null)
        {
            if (entry.Value is not byte[] stored)
            {
                c.Reply.Error(ErrorReplies.WrongType);
                return;
            }

            if (!FloatValue.TryParse(stored, out current))
            {
                c.Reply.Error(ErrorReplies.NotFloat);
                return;
            }
        }

        if (!FloatValue.TryParse(a[2], out var increment))
        {
            c.Reply.Error(ErrorReplies.NotFloat);
            return;
        }

        var sum = current.Add(increment);
        if (!sum.IsFinite)
        {
            c.Reply.Error(ErrorReplies.FloatResultInvalid);
            return;
        }

        var result = sum.ToRedisString();
        StringCommands.Store(c.Store, entry, a[1], result);
        var feed = c.Store.Feed;
        if (feed.Enabled)
        {
            feed.Begin(4);
            feed.Arg("SET"u8);
            feed.Arg(a[1]);
            feed.Arg(result);
            feed.Arg("KEEPTTL"u8);
            feed.End();
        }

        c.Store.Events.Notify(KeyspaceEventTypes.String, "incrbyfloat"u8, a[1]);
        c.Reply.Bulk(result);
    }

    private static void HIncrByFloat(ClientSession c, scoped CommandArgs a)
    {
        if (!FloatValue.TryParse(a[3], out var increment))
        {
            c.Reply.Error(ErrorReplies.NotFloat);
            return;
        }

        if (!increment.IsFinite)
        {
            c.Reply.Error("ERR value is NaN or Infinity");
            return;
        }

        if (!HashCommands.TryGetHash(c, a[1], out var entry, out var hash))
        {
            return;
        }

        var current = FloatValue.Zero;
        if (hash is not null && hash.TryGet(a[2], out var stored) && !FloatValue.TryParse(stored, out current))
        {
            c.Reply.Error("ERR hash value is not a float");
            return;
        }

        var sum = current.Add(increment);
        if (!sum.IsFinite)
        {
            c.Reply.Error(ErrorReplies.FloatResultInvalid);
            return;
        }

        hash ??= HashCommands.CreateHash(c, a[1], out entry);

        var result = sum.ToRedisString();
        hash.Set(a[2], result);
        c.Store.Keys.Account(entry!);
        var feed = c.Store.Feed;
        if (feed.Enabled)
        {
            feed.Begin(4);
            feed.Arg("HSET"u8);
            feed.Arg(a[1]);
            feed.Arg(a[2]);
            feed.Arg(result);
            feed.End();
        }

        c.Store.Events.Notify(KeyspaceEventTypes.Hash, "hincrbyfloat"u8, a[1]);
        c.Reply.Bulk(result);
    }
}
