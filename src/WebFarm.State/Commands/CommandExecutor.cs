using System.Text;
using Microsoft.Extensions.Logging;
using WebFarm.State.Protocol;

namespace WebFarm.State.Commands;

/// <summary>
/// Runs one command for a session under the store lock: lookup, arity, authentication, MULTI queueing,
/// replica read-only rule, then the handler. Any failure becomes an error reply; the server never dies
/// because of one command.
/// </summary>
internal static partial class CommandExecutor
{
    public static void Execute(ClientSession client, scoped CommandArgs args)
    {
        var server = client.Server;
        var definition = server.Commands.Find(args[0]);
        if (definition is null)
        {
            Reject(client, UnknownCommand(args));
            return;
        }

        if (!definition.ArityMatches(args.Count))
        {
            Reject(client, ErrorReplies.WrongArity(definition.Name));
            return;
        }

        if (!client.Authenticated && server.RequiresAuth && (definition.Flags & CommandFlags.NoAuth) == 0)
        {
            Reject(client, ErrorReplies.NoAuth);
            return;
        }

        if (client.InSubscribedMode && (definition.Flags & CommandFlags.PubSubContext) == 0)
        {
            Reject(client, ErrorReplies.NotInSubscribedMode(definition.Name, args.Count > 1 ? args[1] : default));
            return;
        }

        if (definition.IsWrite && client.Store.IsReplica && !client.IsMasterLink)
        {
            Reject(client, ErrorReplies.ReadOnly);
            return;
        }

        if ((definition.Flags & CommandFlags.DenyOom) != 0 && client.Store.MaxMemory > 0 && !TryMakeRoom(client, MemoryNeeded(args)))
        {
            Reject(client, ErrorReplies.OutOfMemory);
            return;
        }

        if (client.InMulti && (definition.Flags & CommandFlags.NoQueue) == 0)
        {
            client.MultiQueue!.Add(new QueuedCommand(definition, ArgList.CopyOf(args)));
            client.Reply.Raw("+QUEUED\r\n"u8);
            return;
        }

        Invoke(client, definition, args);
    }

    public static void Invoke(ClientSession client, CommandDefinition definition, scoped CommandArgs args)
    {
        try
        {
            client.Store.Commands++;
            definition.Calls++;
            if (!ReferenceEquals(client.LastCommand, definition.Name))
            {
                // A reference store costs a GC write barrier; a pipeline mostly repeats its command.
                client.LastCommand = definition.Name;
            }

            definition.Handler(client, args);
        }
        catch (Exception ex)
        {
            Log.CommandFailed(client.Server.Logger, definition.Name, client.Id, ex);
            client.Reply.Error("ERR internal error while executing '" + definition.Name + "': " + ex.Message);
        }
    }

    /// <summary>
    /// The one maxmemory rule for writes (flag <see cref="CommandFlags.DenyOom"/>, and EXEC for its queue): make
    /// room before the write runs, or count a rejected write. The master link and log replay are never refused.
    /// </summary>
    public static bool TryMakeRoom(ClientSession client, long bytes)
    {
        if (client.IsMasterLink || client.Store.TryMakeRoom(bytes))
        {
            return true;
        }

        client.Store.RejectedWrites++;
        return false;
    }

    /// <summary>
    /// What a write may add: its arguments plus one key's bookkeeping. Like Redis counting the query buffer in
    /// used memory, this refuses a value that cannot fit before it is stored.
    /// </summary>
    public static long MemoryNeeded(scoped CommandArgs args)
    {
        long bytes = Storage.KeyEntry.Overhead;
        for (var i = 1; i < args.Count; i++)
        {
            bytes += args[i].Length;
        }

        return bytes;
    }

    private static void Reject(ClientSession client, string error)
    {
        // An error while queueing poisons the transaction, as in Redis (EXEC answers EXECABORT).
        if (client.InMulti)
        {
            client.MultiFailed = true;
        }

        client.Reply.Error(error);
    }

    private static string UnknownCommand(scoped CommandArgs args)
    {
        var text = new StringBuilder("ERR unknown command '")
            .Append(Text.Printable(args[0], 128))
            .Append("', with args beginning with: ");
        var budget = 128;
        for (var i = 1; i < args.Count && budget > 0; i++)
        {
            var arg = Text.Printable(args[i], budget);
            budget -= arg.Length;
            text.Append('\'').Append(arg).Append("' ");
        }

        return text.ToString();
    }
}
