using System.Security.Cryptography;
using System.Text;
using WebFarm.State.Protocol;
using WebFarm.State.Replication;

namespace WebFarm.State.Commands;

/// <summary>Connection commands: PING, ECHO, AUTH, HELLO, SELECT, CLIENT, QUIT, RESET.</summary>
internal static class ConnectionCommands
{
    public static void Register(CommandTable table)
    {
        const CommandFlags F = CommandFlags.Fast;
        table.Add("ping", -1, F | CommandFlags.PubSubContext, 0, 0, 0, Ping);
        table.Add("echo", 2, F, 0, 0, 0, (c, a) => c.Reply.Bulk(a[1]));
        table.Add("auth", -2, CommandFlags.NoAuth | F, 0, 0, 0, Auth);
        table.Add("hello", -1, CommandFlags.NoAuth | F, 0, 0, 0, Hello);
        table.Add("select", 2, F, 0, 0, 0, Select);
        table.Add("client", -2, CommandFlags.Admin, 0, 0, 0, Client);
        table.Add("quit", -1, CommandFlags.NoAuth | CommandFlags.NoQueue | CommandFlags.PubSubContext | F, 0, 0, 0, Quit);
        table.Add("reset", 1, CommandFlags.NoAuth | CommandFlags.NoQueue | CommandFlags.PubSubContext | F, 0, 0, 0, Reset);
    }

    private static void Ping(ClientSession c, scoped CommandArgs a)
    {
        if (a.Count > 2)
        {
            c.Reply.Error(ErrorReplies.WrongArity("ping"));
        }
        else if (c.InSubscribedMode)
        {
            // RESP2 subscribers can only read push-shaped arrays, so PING answers ["pong", message].
            c.Reply.ArrayHeader(2);
            c.Reply.Bulk("pong"u8);
            c.Reply.Bulk(a.Count == 2 ? a[1] : default);
        }
        else if (a.Count == 2)
        {
            c.Reply.Bulk(a[1]);
        }
        else
        {
            c.Reply.Raw("+PONG\r\n"u8);
        }
    }

    private static void Auth(ClientSession c, scoped CommandArgs a)
    {
        if (a.Count > 3)
        {
            c.Reply.Error(ErrorReplies.Syntax);
            return;
        }

        if (!c.Server.RequiresAuth)
        {
            c.Reply.Error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
            return;
        }

        if (CheckCredentials(c, a.Count == 3 ? a[1] : "default"u8, a[a.Count - 1]))
        {
            c.Authenticated = true;
            c.Reply.Ok();
        }
        else
        {
            c.Reply.Error(ErrorReplies.WrongPass);
        }
    }

    private static bool CheckCredentials(ClientSession c, ReadOnlySpan<byte> user, ReadOnlySpan<byte> password)
    {
        var expected = Encoding.UTF8.GetBytes(c.Server.Options.Password ?? string.Empty);
        // Constant-time compare so the password cannot be guessed byte by byte from response times.
        return Text.Is(user, "DEFAULT"u8) & CryptographicOperations.FixedTimeEquals(expected, password);
    }

    private static void Hello(ClientSession c, scoped CommandArgs a)
    {
        var i = 1;
        if (a.Count > 1)
        {
            if (!Text.TryLong(a[1], out var version))
            {
                c.Reply.Error("ERR Protocol version is not an integer or out of range");
                return;
            }

            if (version != 2)
            {
                c.Reply.Error("NOPROTO unsupported protocol version");
                return;
            }

            i = 2;
        }

        string? name = null;
        var authenticated = c.Authenticated || !c.Server.RequiresAuth;
        for (; i < a.Count; i++)
        {
            if (Text.Is(a[i], "AUTH"u8) && i + 2 < a.Count)
            {
                if (!c.Server.RequiresAuth || !CheckCredentials(c, a[i + 1], a[i + 2]))
                {
                    c.Reply.Error(ErrorReplies.WrongPass);
                    return;
                }

                authenticated = true;
                i += 2;
            }
            else if (Text.Is(a[i], "SETNAME"u8) && i + 1 < a.Count)
            {
                name = Text.Utf8(a[++i]);
                if (!IsValidName(name))
                {
                    c.Reply.Error("ERR Client names cannot contain spaces, newlines or special characters.");
                    return;
                }
            }
            else
            {
                c.Reply.Error("ERR Syntax error in HELLO option '" + Text.Printable(a[i], 64) + "'");
                return;
            }
        }

        if (!authenticated)
        {
            c.Reply.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
            return;
        }

        c.Authenticated = true;
        if (name is not null)
        {
            c.Name = name.Length == 0 ? null : name;
        }

        c.Reply.ArrayHeader(14);
        c.Reply.Bulk("server"u8);
        c.Reply.Bulk("redis"u8);
        c.Reply.Bulk("version"u8);
        c.Reply.Bulk(ServerInfo.CompatibleVersion);
        c.Reply.Bulk("proto"u8);
        c.Reply.Integer(2);
        c.Reply.Bulk("id"u8);
        c.Reply.Integer(c.Id);
        c.Reply.Bulk("mode"u8);
        c.Reply.Bulk("standalone"u8);
        c.Reply.Bulk("role"u8);
        c.Reply.Bulk(c.Server.Replication.Role == ReplicationRole.Master ? "master"u8 : "replica"u8);
        c.Reply.Bulk("modules"u8);
        c.Reply.EmptyArray();
    }

    private static void Select(ClientSession c, scoped CommandArgs a)
    {
        if (!Text.TryLong(a[1], out var index))
        {
            c.Reply.Error(ErrorReplies.NotInteger);
        }
        else if (index != 0)
        {
            c.Reply.Error("ERR DB index is out of range");
        }
        else
        {
            c.Reply.Ok();
        }
    }

    private static void Client(ClientSession c, scoped CommandArgs a)
    {
        var sub = a[1];
        if (Text.Is(sub, "ID"u8) && a.Count == 2)
        {
            c.Reply.Integer(c.Id);
        }
        else if (Text.Is(sub, "SETNAME"u8) && a.Count == 3)
        {
            var name = Text.Utf8(a[2]);
            if (!IsValidName(name))
            {
                c.Reply.Error("ERR Client names cannot contain spaces, newlines or special characters.");
                return;
            }

            c.Name = name.Length == 0 ? null : name;
            c.Reply.Ok();
        }
        else if (Text.Is(sub, "GETNAME"u8) && a.Count == 2)
        {
            if (c.Name is null)
            {
                c.Reply.NullBulk();
            }
            else
            {
                c.Reply.Bulk(c.Name);
            }
        }
        else if (Text.Is(sub, "INFO"u8) && a.Count == 2)
        {
            c.Reply.Bulk(Describe(c) + "\n");
        }
        else if (Text.Is(sub, "LIST"u8))
        {
            var text = new StringBuilder();
            foreach (var other in c.Server.Clients.Values)
            {
                text.Append(Describe(other)).Append('\n');
            }

            c.Reply.Bulk(text.ToString());
        }
        else if ((Text.Is(sub, "SETINFO"u8) && a.Count == 4) || (Text.Is(sub, "NO-EVICT"u8) && a.Count == 3) || (Text.Is(sub, "NO-TOUCH"u8) && a.Count == 3))
        {
            c.Reply.Ok();
        }
        else if (Text.Is(sub, "KILL"u8) && a.Count == 4 && Text.Is(a[2], "ID"u8))
        {
            if (!Text.TryLong(a[3], out var id))
            {
                c.Reply.Error("ERR client-id should be greater than 0");
                return;
            }

            var killed = 0;
            if (c.Server.Clients.TryGetValue(id, out var target) && target.Abort is not null)
            {
                target.CloseRequested = true;
                target.Peer?.Stop();
                target.Abort();
                killed = 1;
            }

            c.Reply.Integer(killed);
        }
        else if (Text.Is(sub, "HELP"u8))
        {
            string[] lines = ["CLIENT <subcommand> [<arg> ...]. Subcommands are:", "ID", "GETNAME", "SETNAME <name>", "INFO", "LIST", "KILL ID <id>", "HELP"];
            c.Reply.ArrayHeader(lines.Length);
            foreach (var line in lines)
            {
                c.Reply.Simple(line);
            }
        }
        else if (Text.Is(sub, "ID"u8) || Text.Is(sub, "SETNAME"u8) || Text.Is(sub, "GETNAME"u8) || Text.Is(sub, "INFO"u8))
        {
            c.Reply.Error(ErrorReplies.WrongArity("client|" + Text.Utf8(sub).ToLowerInvariant()));
        }
        else
        {
            c.Reply.Error(ErrorReplies.UnknownSubcommand(sub, "CLIENT"));
        }
    }

    private static string Describe(ClientSession c)
        => $"id={c.Id} addr={c.Address} name={c.Name} age={(Environment.TickCount64 - c.CreatedAtMs) / 1000} db=0 multi={(c.InMulti ? c.MultiQueue!.Count : -1)} flags={(c.Peer is not null ? "S" : "N")} cmd={c.LastCommand}";

    private static bool IsValidName(string name)
    {
        foreach (var ch in name)
        {
            if (ch < '!' || ch > '~')
            {
                return false;
            }
        }

        return true;
    }

    private static void Quit(ClientSession c, scoped CommandArgs a)
    {
        c.Reply.Ok();
        c.CloseRequested = true;
    }

    private static void Reset(ClientSession c, scoped CommandArgs a)
    {
        c.ReleaseSharedState();
        c.MultiQueue = null;
        c.MultiFailed = false;
        c.Name = null;
        c.Authenticated = !c.Server.RequiresAuth;
        c.Reply.Raw("+RESET\r\n"u8);
    }
}
