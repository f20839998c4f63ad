using System.Text;

namespace WebFarm.State.PubSub;

/// <summary>
/// Keyspace notifications (CONFIG SET notify-keyspace-events): after a command changes a key it reports
/// the event here, which publishes it on __keyspace@0__:&lt;key&gt; and/or __keyevent@0__:&lt;event&gt; when
/// the class is enabled. Off by default, as in Redis; when off, or when nobody subscribes, a report costs
/// one flag test.
/// </summary>
internal sealed class KeyspaceEvents(PubSubHub hub)
{
    /// <summary>The error Redis answers for an unknown class letter.</summary>
    public const string InvalidClassError = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

    private static readonly byte[] KeyspacePrefix = "__keyspace@0__:"u8.ToArray();
    private static readonly byte[] KeyeventPrefix = "__keyevent@0__:"u8.ToArray();
    private byte[] _channel = new byte[256];

    public KeyspaceEventTypes Types { get; set; }

    public void Notify(KeyspaceEventTypes type, ReadOnlySpan<byte> eventName, ReadOnlySpan<byte> key)
    {
        if ((Types & type) == 0 || !hub.HasSubscribers)
        {
            return;
        }

        if ((Types & KeyspaceEventTypes.Keyspace) != 0)
        {
            hub.Publish(Channel(KeyspacePrefix, key), eventName);
        }

        if ((Types & KeyspaceEventTypes.Keyevent) != 0)
        {
            hub.Publish(Channel(KeyeventPrefix, eventName), key);
        }
    }

    public static bool TryParse(string classes, out KeyspaceEventTypes types)
    {
        types = KeyspaceEventTypes.None;
        foreach (var letter in classes)
        {
            types |= letter switch
            {
                'A' => KeyspaceEventTypes.All,
                'g' => KeyspaceEventTypes.Generic,
                '$' => KeyspaceEventTypes.String,
                'l' => KeyspaceEventTypes.List,
                's' => KeyspaceEventTypes.Set,
                'h' => KeyspaceEventTypes.Hash,
                'z' => KeyspaceEventTypes.SortedSet,
                'x' => KeyspaceEventTypes.Expired,
                'e' => KeyspaceEventTypes.Evicted,
                'K' => KeyspaceEventTypes.Keyspace,
                'E' => KeyspaceEventTypes.Keyevent,
                't' => KeyspaceEventTypes.Stream,
                'm' => KeyspaceEventTypes.KeyMiss,
                'd' => KeyspaceEventTypes.Module,
                'n' => KeyspaceEventTypes.New,
                _ => (KeyspaceEventTypes)(-1),
            };
            if (types == (KeyspaceEventTypes)(-1))
            {
                types = KeyspaceEventTypes.None;
                return false;
            }
        }

        return true;
    }

    /// <summary>The setting as CONFIG GET shows it, in Redis's letter order.</summary>
    public static string Format(KeyspaceEventTypes types)
    {
        var text = new StringBuilder();
        if ((types & KeyspaceEventTypes.All) == KeyspaceEventTypes.All)
        {
            text.Append('A');
        }
        else
        {
            Append(text, types, KeyspaceEventTypes.Generic, 'g');
            Append(text, types, KeyspaceEventTypes.String, '$');
            Append(text, types, KeyspaceEventTypes.List, 'l');
            Append(text, types, KeyspaceEventTypes.Set, 's');
            Append(text, types, KeyspaceEventTypes.Hash, 'h');
            Append(text, types, KeyspaceEventTypes.SortedSet, 'z');
            Append(text, types, KeyspaceEventTypes.Expired, 'x');
            Append(text, types, KeyspaceEventTypes.Evicted, 'e');
            Append(text, types, KeyspaceEventTypes.Stream, 't');
            Append(text, types, KeyspaceEventTypes.Module, 'd');
            Append(text, types, KeyspaceEventTypes.New, 'n');
        }

        Append(text, types, KeyspaceEventTypes.Keyspace, 'K');
        Append(text, types, KeyspaceEventTypes.Keyevent, 'E');
        Append(text, types, KeyspaceEventTypes.KeyMiss, 'm');
        return text.ToString();
    }

    private static void Append(StringBuilder text, KeyspaceEventTypes types, KeyspaceEventTypes type, char letter)
    {
        if ((types & type) != 0)
        {
            text.Append(letter);
        }
    }

    private ReadOnlySpan<byte> Channel(byte[] prefix, ReadOnlySpan<byte> suffix)
    {
        var length = prefix.Length + suffix.Length;
        // The buffer is reused across notifications but does not keep growing for a one-off huge key.
        var buffer = length <= _channel.Length ? _channel : length <= 64 * 1024 ? _channel = new byte[length * 2] : new byte[length];
        prefix.CopyTo(buffer, 0);
        suffix.CopyTo(buffer.AsSpan(prefix.Length));
        return buffer.AsSpan(0, length);
    }
}
