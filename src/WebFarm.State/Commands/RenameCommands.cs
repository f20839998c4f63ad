using WebFarm.State.Protocol;
using WebFarm.State.PubSub;

namespace WebFarm.State.Commands;

/// <summary>RENAME and RENAMENX: the value and its TTL move to the new name; an existing target is overwritten (RENAME) or kept (RENAMENX).</summary>
internal static class RenameCommands
{
    public static void Register(CommandTable table)
    {
        table.Add("rename", 3, CommandFlags.Write, 1, 2, 1, (c, a) => Rename(c, a, onlyIfAbsent: false));
        table.Add("renamenx", 3, CommandFlags.Write | CommandFlags.Fast, 1, 2, 1, (c, a) => Rename(c, a, onlyIfAbsent: true));
    }

    private static void Rename(ClientSession c, scoped CommandArgs a, bool onlyIfAbsent)
    {
        var source = c.Store.Lookup(a[1], c.IsMasterLink);
        if (source is null)
        {
            c.Reply.Error(ErrorReplies.NoSuchKey);
            return;
        }

        if (a[1].SequenceEqual(a[2]))
        {
            // Same name: nothing moves, but the answer still says whether it would have (Redis's rule).
            Answer(c, onlyIfAbsent, renamed: !onlyIfAbsent);
            return;
        }

        var target = c.Store.Lookup(a[2], c.IsMasterLink);
        if (target is not null)
        {
            if (onlyIfAbsent)
            {
                Answer(c, onlyIfAbsent, renamed: false);
                return;
            }

            c.Store.Delete(target);
        }

        var value = source.Value;
        var expireAt = source.ExpireAtMs;
        c.Store.Delete(source);
        var moved = c.Store.Keys.Add(a[2], value);
        if (expireAt != 0)
        {
            c.Store.Keys.SetExpire(moved, expireAt);
        }

        c.Store.Feed.Propagate(a);
        c.Store.Events.Notify(KeyspaceEventTypes.Generic, "rename_from"u8, a[1]);
        c.Store.Events.Notify(KeyspaceEventTypes.Generic, "rename_to"u8, a[2]);
        Answer(c, onlyIfAbsent, renamed: true);
    }

    private static void Answer(ClientSession c, bool onlyIfAbsent, bool renamed)
    {
        if (onlyIfAbsent)
        {
            c.Reply.Integer(renamed ? 1 : 0);
        }
        else
        {
            c.Reply.Ok();
        }
    }
}
