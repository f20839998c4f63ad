using System.Globalization;
using WebFarm.State.Protocol;
using WebFarm.State.Storage;

namespace WebFarm.State.Commands;

/// <summary>Server commands: INFO, COMMAND, CONFIG, DBSIZE, FLUSHDB/FLUSHALL, TIME, BGREWRITEAOF.</summary>
internal static class ServerCommands
{
    public static void Register(CommandTable table)
    {
        table.Add("info", -1, CommandFlags.None, 0, 0, 0, Info);
        table.Add("command", -1, CommandFlags.None, 0, 0, 0, Command);
        table.Add("config", -2, CommandFlags.Admin, 0, 0, 0, Config);
        table.Add("dbsize", 1, CommandFlags.ReadOnly | CommandFlags.Fast, 0, 0, 0, (c, a) => c.Reply.Integer(c.Store.Keys.Count));
        table.Add("flushdb", -1, CommandFlags.Write, 0, 0, 0, Flush);
        table.Add("flushall", -1, CommandFlags.Write, 0, 0, 0, Flush);
        table.Add("time", 1, CommandFlags.Fast, 0, 0, 0, Time);
        table.Add("bgrewriteaof", 1, CommandFlags.Admin, 0, 0, 0, BgRewriteAof);
    }

    private static void Info(ClientSession c, scoped CommandArgs a)
    {
        var sections = new List<string>();
        for (var i = 1; i < a.Count; i++)
        {
            sections.Add(Text.Utf8(a[i]).ToLowerInvariant());
        }

        c.Reply.Bulk(InfoReport.Build(c.Server, sections));
    }

    private static void Command(ClientSession c, scoped CommandArgs a)
    {
        var table = c.Server.Commands;
        if (a.Count == 1)
        {
            c.Reply.ArrayHeader(table.All.Count);
            foreach (var definition in table.All)
            {
                Describe(c.Reply, definition);
            }

            return;
        }

        var sub = a[1];
        if (Text.Is(sub, "COUNT"u8) && a.Count == 2)
        {
            c.Reply.Integer(table.All.Count);
        }
        else if (Text.Is(sub, "DOCS"u8))
        {
            // redis-cli asks for docs to offer hints; an empty answer is valid and makes it skip them.
            c.Reply.EmptyArray();
        }
        else if (Text.Is(sub, "INFO"u8))
        {
            c.Reply.ArrayHeader(a.Count - 2);
            for (var i = 2; i < a.Count; i++)
            {
                var definition = table.Find(a[i]);
                if (definition is null)
                {
                    c.Reply.NullArray();
                }
                else
                {
                    Describe(c.Reply, definition);
                }
            }
        }
        else if (Text.Is(sub, "LIST"u8))
        {
            c.Reply.ArrayHeader(table.All.Count);
            foreach (var definition in table.All)
            {
                c.Reply.Bulk(definition.Name);
            }
        }
        else
        {
            c.Reply.Error(ErrorReplies.UnknownSubcommand(sub, "COMMAND"));
        }
    }

    private static void Describe(RespWriter reply, CommandDefinition definition)
    {
        var flags = new List<string>();
        if (definition.IsWrite)
        {
            flags.Add("write");
        }

        if ((definition.Flags & CommandFlags.DenyOom) != 0)
        {
            flags.Add("denyoom");
        }

        if ((definition.Flags & CommandFlags.ReadOnly) != 0)
        {
            flags.Add("readonly");
        }

        if ((definition.Flags & CommandFlags.Fast) != 0)
        {
            flags.Add("fast");
        }

        if ((definition.Flags & CommandFlags.Admin) != 0)
        {
            flags.Add("admin");
        }

        if ((definition.Flags & CommandFlags.NoAuth) != 0)
        {
            flags.Add("no_auth");
        }

        reply.ArrayHeader(10);
        reply.Bulk(definition.Name);
        reply.Integer(definition.Arity);
        reply.ArrayHeader(flags.Count);
        foreach (var flag in flags)
        {
            reply.Simple(flag);
        }

        reply.Integer(definition.FirstKey);
        reply.Integer(definition.LastKey);
        reply.Integer(definition.Step);
        reply.EmptyArray();
        reply.EmptyArray();
        reply.EmptyArray();
        reply.EmptyArray();
    }

    private static void Config(ClientSession c, scoped CommandArgs a)
    {
        var sub = a[1];
        if (Text.Is(sub, "GET"u8) && a.Count >= 3)
        {
            var values = ConfigValues(c);
            var matched = new List<KeyValuePair<string, string>>();
            for (var i = 2; i < a.Count; i++)
            {
                foreach (var pair in values)
                {
                    if (GlobPattern.IsMatch(LowerBytes(a[i]), System.Text.Encoding.ASCII.GetBytes(pair.Key))
                        && !matched.Contains(pair))
                    {
                        matched.Add(pair);
                    }
                }
            }

            c.Reply.ArrayHeader(matched.Count * 2);
            foreach (var (name, value) in matched)
            {
                c.Reply.Bulk(name);
                c.Reply.Bulk(value);
            }
        }
        else if (Text.Is(sub, "SET"u8) && a.Count >= 4 && (a.Count & 1) == 0)
        {
            for (var i = 2; i < a.Count; i += 2)
            {
                var name = Text.Utf8(a[i]).ToLowerInvariant();
                var value = Text.Utf8(a[i + 1]);
                switch (name)
                {
                    case "maxmemory" when Hosting.ByteSize.TryParse(value, out var bytes, out _):
                        c.Store.MaxMemory = bytes;
                        break;
                    case "maxmemory-samples" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var samples) && samples is > 0 and <= 64:
                        c.Store.EvictionSamples = samples;
                        break;
                    case "maxmemory-policy":
                        if (!MaxMemoryPolicyName.TryParse(value, out var policy, out var policyError))
                        {
                            c.Reply.Error($"ERR CONFIG SET failed (possibly related to argument '{name}') - {policyError}");
                            return;
                        }

                        c.Store.Policy = policy;
                        break;
                    case "save" or "appendonly" when IsAccepted(name, value):
                        break;
                    case "notify-keyspace-events":
                        if (!PubSub.KeyspaceEvents.TryParse(value, out var events))
                        {
                            c.Reply.Error($"ERR CONFIG SET failed (possibly related to argument '{name}') - {PubSub.KeyspaceEvents.InvalidClassError}");
                            return;
                        }

                        c.Store.Events.Types = events;
                        break;
                    default:
                        c.Reply.Error($"ERR CONFIG SET failed (possibly related to argument '{name}') - unsupported parameter or invalid value '{value}'");
                        return;
                }
            }

            c.Reply.Ok();
        }
        else if (Text.Is(sub, "RESETSTAT"u8) && a.Count == 2)
        {
            c.Store.ResetStats();
            c.Reply.Ok();
        }
        else if (Text.Is(sub, "REWRITE"u8))
        {
            c.Reply.Error("ERR The server is running without a config file");
        }
        else if (Text.Is(sub, "GET"u8) || Text.Is(sub, "SET"u8) || Text.Is(sub, "RESETSTAT"u8))
        {
            c.Reply.Error(ErrorReplies.WrongArity("config|" + Text.Utf8(sub).ToLowerInvariant()));
        }
        else
        {
            c.Reply.Error(ErrorReplies.UnknownSubcommand(sub, "CONFIG"));
        }
    }

    private static byte[] LowerBytes(ReadOnlySpan<byte> value)
    {
        var lower = new byte[value.Length];
        System.Text.Ascii.ToLower(value, lower, out _);
        return lower;
    }

    /// <summary>Settings that only exist for compatibility accept the value we already run with.</summary>
    private static bool IsAccepted(string name, string value) => name switch
    {
        "save" => value.Length == 0,
        _ => false,
    };

    private static List<KeyValuePair<string, string>> ConfigValues(ClientSession c)
    {
        var options = c.Server.Options;
        return
        [
            new("port", c.Server.Port.ToString(CultureInfo.InvariantCulture)),
            new("bind", options.BindAddress),
            new("requirepass", options.Password ?? string.Empty),
            new("maxmemory", c.Store.MaxMemory.ToString(CultureInfo.InvariantCulture)),
            new("maxmemory-policy", MaxMemoryPolicyName.Format(c.Store.Policy)),
            new("maxmemory-samples", c.Store.EvictionSamples.ToString(CultureInfo.InvariantCulture)),
            new("appendonly", c.Server.Log is null ? "no" : "yes"),
            new("appendfsync", options.AppendFsync.ToString().ToLowerInvariant()),
            new("dir", options.Directory ?? Environment.CurrentDirectory),
            new("save", string.Empty),
            new("databases", "1"),
            new("timeout", "0"),
            new("proto-max-bulk-len", options.MaxBulkLength.ToString(CultureInfo.InvariantCulture)),
            new("client-query-buffer-limit", options.MaxQueryBufferBytes.ToString(CultureInfo.InvariantCulture)),
            new("replica-read-only", "yes"),
            new("repl-backlog-size", options.ReplicationBacklogBytes.ToString(CultureInfo.InvariantCulture)),
            new("notify-keyspace-events", PubSub.KeyspaceEvents.Format(c.Store.Events.Types)),
        ];
    }

    private static void Flush(ClientSession c, scoped CommandArgs a)
    {
        if (a.Count > 2 || (a.Count == 2 && !Text.Is(a[1], "ASYNC"u8) && !Text.Is(a[1], "SYNC"u8)))
        {
            c.Reply.Error(ErrorReplies.Syntax);
            return;
        }

        c.Store.Keys.Clear();
        var feed = c.Store.Feed;
        if (feed.Enabled)
        {
            feed.Begin(1);
            feed.Arg("FLUSHALL"u8);
            feed.End();
        }

        c.Reply.Ok();
    }

    private static void Time(ClientSession c, scoped CommandArgs a)
    {
        var now = DateTimeOffset.UtcNow;
        var micros = (now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
        c.Reply.ArrayHeader(2);
        c.Reply.BulkInteger(micros / 1_000_000);
        c.Reply.BulkInteger(micros % 1_000_000);
    }

    private static void BgRewriteAof(ClientSession c, scoped CommandArgs a)
    {
        var log = c.Server.Log;
        if (log is null)
        {
            c.Reply.Error("ERR the append-only log is disabled (start with --dir to enable persistence)");
        }
        else if (!log.TryStartRewrite())
        {
            c.Reply.Error("ERR Background append only file rewriting already in progress");
        }
        else
        {
            c.Reply.Simple("Background append only file rewriting started");
        }
    }
}
