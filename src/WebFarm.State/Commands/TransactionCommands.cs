using WebFarm.State.Protocol;

namespace WebFarm.State.Commands;

/// <summary>MULTI/EXEC/DISCARD: queued commands run back to back under the store lock, so no other client interleaves (WATCH: <see cref="WatchCommands"/>).</summary>
internal static class TransactionCommands
{
    public static void Register(CommandTable table)
    {
        const CommandFlags F = CommandFlags.NoQueue | CommandFlags.Fast;
        table.Add("multi", 1, F, 0, 0, 0, Multi);
        table.Add("exec", 1, F, 0, 0, 0, Exec);
        table.Add("discard", 1, F, 0, 0, 0, Discard);
    }

    private static void Multi(ClientSession c, scoped CommandArgs a)
    {
        if (c.InMulti)
        {
            c.Reply.Error("ERR MULTI calls can not be nested");
            return;
        }

        c.MultiQueue = [];
        c.MultiFailed = false;
        c.Reply.Ok();
    }

    private static void Exec(ClientSession c, scoped CommandArgs a)
    {
        if (!c.InMulti)
        {
            c.Reply.Error("ERR EXEC without MULTI");
            return;
        }

        var queue = c.MultiQueue!;
        var failed = c.MultiFailed;
        var watchedKeyChanged = WatchCommands.WatchedKeyChanged(c);
        c.MultiQueue = null;
        c.MultiFailed = false;
        WatchCommands.UnwatchAll(c);
        if (failed)
        {
            c.Reply.Error(ErrorReplies.ExecAbort);
            return;
        }

        // Queued while there was room, but the memory may be gone by now: the whole transaction is refused, as Redis does.
        if (c.Store.MaxMemory > 0)
        {
            long needed = 0;
            foreach (var command in queue)
            {
                if ((command.Definition.Flags & CommandFlags.DenyOom) != 0)
                {
                    needed += CommandExecutor.MemoryNeeded(new CommandArgs(default, command.Args));
                }
            }

            if (needed > 0 && !CommandExecutor.TryMakeRoom(c, needed))
            {
                c.Reply.Error("EXECABORT Transaction discarded because of: " + ErrorReplies.OutOfMemory);
                return;
            }
        }

        if (watchedKeyChanged)
        {
            // Check-and-set lost: a nil array, nothing runs (not an error, as in Redis).
            c.Reply.NullArray();
            return;
        }

        // Writes of a transaction reach the log and the replicas wrapped in MULTI/EXEC: all or nothing on replay.
        c.Reply.ArrayHeader(queue.Count);
        c.Store.Feed.BeginTransaction();
        c.InExec = true;
        try
        {
            foreach (var command in queue)
            {
                CommandExecutor.Invoke(c, command.Definition, new CommandArgs(default, command.Args));
            }
        }
        finally
        {
            c.InExec = false;
            c.Store.Feed.EndTransaction();
        }
    }

    private static void Discard(ClientSession c, scoped CommandArgs a)
    {
        if (!c.InMulti)
        {
            c.Reply.Error("ERR DISCARD without MULTI");
            return;
        }

        WatchCommands.UnwatchAll(c);
        c.MultiQueue = null;
        c.MultiFailed = false;
        c.Reply.Ok();
    }
}
