using WebFarm.State.Protocol;
using WebFarm.State.Storage;

namespace WebFarm.State.Commands;

/// <summary>
/// Pub/Sub: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH and PUBSUB, with Redis's RESP2 reply
/// shapes. Messages are fire-and-forget as in Redis: not logged, lost for a disconnected client; PUBLISH is passed
/// on to replicas (as Redis does) so that clients subscribed on a replica get the message too.
/// </summary>
internal static class PubSubCommands
{
    public static void Register(CommandTable table)
    {
        const CommandFlags S = CommandFlags.PubSubContext;
        table.Add("subscribe", -2, S, 0, 0, 0, (c, a) => Subscribe(c, a, patterns: false));
        table.Add("unsubscribe", -1, S, 0, 0, 0, (c, a) => Unsubscribe(c, a, patterns: false));
        table.Add("psubscribe", -2, S, 0, 0, 0, (c, a) => Subscribe(c, a, patterns: true));
        table.Add("punsubscribe", -1, S, 0, 0, 0, (c, a) => Unsubscribe(c, a, patterns: true));
        table.Add("publish", 3, CommandFlags.Fast, 0, 0, 0, Publish);
        table.Add("pubsub", -2, CommandFlags.None, 0, 0, 0, PubSubInfo);
    }

    private static void Subscribe(ClientSession c, scoped CommandArgs a, bool patterns)
    {
        var subscriber = c.EnsureSubscriber();
        for (var i = 1; i < a.Count; i++)
        {
            _ = patterns ? c.Store.PubSub.PSubscribe(subscriber, a[i]) : c.Store.PubSub.Subscribe(subscriber, a[i]);
            Confirm(c, patterns ? "psubscribe"u8 : "subscribe"u8, a[i], subscriber.Count);
        }
    }

    /// <summary>(P)UNSUBSCRIBE: the named channels or patterns, or without arguments all of them (one confirmation each).</summary>
    private static void Unsubscribe(ClientSession c, scoped CommandArgs a, bool patterns)
    {
        var kind = patterns ? "punsubscribe"u8 : "unsubscribe"u8;
        var subscriber = c.Subscriber;
        if (a.Count > 1)
        {
            for (var i = 1; i < a.Count; i++)
            {
                if (subscriber is not null)
                {
                    Remove(c, subscriber, a[i], patterns);
                }

                Confirm(c, kind, a[i], subscriber?.Count ?? 0);
            }

            return;
        }

        byte[][] names = subscriber is null ? [] : patterns ? [.. subscriber.Patterns] : [.. subscriber.Channels];
        if (names.Length == 0)
        {
            // Subscribed to none: Redis still confirms, with a nil name.
            c.Reply.ArrayHeader(3);
            c.Reply.Bulk(kind);
            c.Reply.NullBulk();
            c.Reply.Integer(subscriber?.Count ?? 0);
            return;
        }

        foreach (var name in names)
        {
            Remove(c, subscriber!, name, patterns);
            Confirm(c, kind, name, subscriber!.Count);
        }
    }

    private static void Remove(ClientSession c, PubSub.Subscriber subscriber, ReadOnlySpan<byte> name, bool pattern)
        => _ = pattern ? c.Store.PubSub.PUnsubscribe(subscriber, name) : c.Store.PubSub.Unsubscribe(subscriber, name);

    private static void Publish(ClientSession c, scoped CommandArgs a)
    {
        var receivers = c.Store.PubSub.Publish(a[1], a[2]);
        c.Store.Feed.PropagateToReplicas(a);
        c.Reply.Integer(receivers);
    }

    private static void PubSubInfo(ClientSession c, scoped CommandArgs a)
    {
        var hub = c.Store.PubSub;
        var sub = a[1];
        if (Text.Is(sub, "CHANNELS"u8))
        {
            if (a.Count > 3)
            {
                // Redis's own text here (the subcommand accepts any count and then checks it itself).
                c.Reply.Error($"ERR unknown subcommand or wrong number of arguments for '{Text.Printable(sub, 128)}'. Try PUBSUB HELP.");
                return;
            }

            var matched = new List<byte[]>();
            foreach (var channel in hub.ActiveChannels)
            {
                if (a.Count == 2 || GlobPattern.IsMatch(a[2], channel))
                {
                    matched.Add(channel);
                }
            }

            c.Reply.ArrayHeader(matched.Count);
            foreach (var channel in matched)
            {
                c.Reply.Bulk(channel);
            }
        }
        else if (Text.Is(sub, "NUMSUB"u8))
        {
            c.Reply.ArrayHeader((a.Count - 2) * 2);
            for (var i = 2; i < a.Count; i++)
            {
                c.Reply.Bulk(a[i]);
                c.Reply.Integer(hub.SubscribersOf(a[i]));
            }
        }
        else if (Text.Is(sub, "NUMPAT"u8))
        {
            if (a.Count != 2)
            {
                c.Reply.Error(ErrorReplies.WrongArity("pubsub|numpat"));
                return;
            }

            c.Reply.Integer(hub.PatternCount);
        }
        else if (Text.Is(sub, "HELP"u8) && a.Count == 2)
        {
            string[] lines =
            [
                "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "CHANNELS [<pattern>]",
                "    Return the currently active channels matching a <pattern> (default: '*').",
                "NUMPAT",
                "    Return number of subscriptions to patterns.",
                "NUMSUB [<channel> ...]",
                "    Return the number of subscribers for the specified channels, excluding",
                "    pattern subscriptions(default: no channels).",
                "HELP",
                "    Print this help.",
            ];
            c.Reply.ArrayHeader(lines.Length);
            foreach (var line in lines)
            {
                c.Reply.Simple(line);
            }
        }
        else
        {
            c.Reply.Error(ErrorReplies.UnknownSubcommand(sub, "PUBSUB"));
        }
    }

    /// <summary>RESP2 confirmation: [kind, name, number of channels + patterns the client now has].</summary>
    private static void Confirm(ClientSession c, ReadOnlySpan<byte> kind, ReadOnlySpan<byte> name, int count)
    {
        c.Reply.ArrayHeader(3);
        c.Reply.Bulk(kind);
        c.Reply.Bulk(name);
        c.Reply.Integer(count);
    }
}
