using WebFarm.State.Protocol;
using WebFarm.State.PubSub;

namespace WebFarm.State.Commands;

/// <summary>GETRANGE and SETRANGE: byte ranges of a string value (Redis's index rules, zero padding).</summary>
internal static class StringRangeCommands
{
    public static void Register(CommandTable table)
    {
        table.Add("getrange", 4, CommandFlags.ReadOnly, 1, 1, 1, GetRange);
        table.Add("setrange", 4, CommandFlags.Write | CommandFlags.DenyOom, 1, 1, 1, SetRange);
    }

    private static void GetRange(ClientSession c, scoped CommandArgs a)
    {
        if (!Text.TryLong(a[2], out var start) || !Text.TryLong(a[3], out var end))
        {
            c.Reply.Error(ErrorReplies.NotInteger);
            return;
        }

        var entry = c.Store.Lookup(a[1], c.IsMasterLink);
        if (entry is null)
        {
            c.Reply.Bulk(default(ReadOnlySpan<byte>));
            return;
        }

        if (entry.Value is not byte[] value)
        {
            c.Reply.Error(ErrorReplies.WrongType);
            return;
        }

        // Negative indexes count from the end; both out of range on the left is empty, as in Redis.
        long length = value.Length;
        if (start < 0 && end < 0 && start > end)
        {
            c.Reply.Bulk(default(ReadOnlySpan<byte>));
            return;
        }

        start = start < 0 ? Math.Max(0, length + start) : start;
        end = end < 0 ? Math.Max(0, length + end) : end;
        end = Math.Min(end, length - 1);
        if (start > end || length == 0)
        {
            c.Reply.Bulk(default(ReadOnlySpan<byte>));
            return;
        }

        c.Reply.Bulk(value.AsSpan((int)start, (int)(end - start + 1)));
    }

    private static void SetRange(ClientSession c, scoped CommandArgs a)
    {
        if (!Text.TryLong(a[2], out var offset))
        {
            c.Reply.Error(ErrorReplies.NotInteger);
            return;
        }

        if (offset < 0)
        {
            c.Reply.Error("ERR offset is out of range");
            return;
        }

        var patch = a[3];
        var entry = c.Store.Lookup(a[1], c.IsMasterLink);
        if (entry is not null && entry.Value is not byte[])
        {
            c.Reply.Error(ErrorReplies.WrongType);
            return;
        }

        var old = entry?.Value as byte[];
        if (patch.IsEmpty)
        {
            // Nothing to write: no key is created and an existing one is left as it is.
            c.Reply.Integer(old?.Length ?? 0);
            return;
        }

        // The master and the log replay are obeyed whatever our own limit, as in Redis.
        if (!c.IsMasterLink && offset > c.Server.Options.MaxBulkLength - patch.Length)
        {
            c.Reply.Error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
            return;
        }

        // Strings are immutable (snapshots share them), so the result is a new array; the gap is zero bytes.
        var length = Math.Max(old?.Length ?? 0, (int)offset + patch.Length);
        var updated = new byte[length];
        old?.CopyTo(updated, 0);
        patch.CopyTo(updated.AsSpan((int)offset));
        StringCommands.Store(c.Store, entry, a[1], updated);
        c.Store.Feed.Propagate(a);
        c.Store.Events.Notify(KeyspaceEventTypes.String, "setrange"u8, a[1]);
        c.Reply.Integer(length);
    }
}
