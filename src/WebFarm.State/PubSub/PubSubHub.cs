using System.Buffers;
using WebFarm.State.Protocol;
using WebFarm.State.Storage;

namespace WebFarm.State.PubSub;

/// <summary>
/// Channel and pattern subscriptions of all clients, and message fan-out. Used only under the store lock
/// (Redis's single thread, in effect), so subscribing, publishing and a key's notification never race.
/// A message is encoded once per channel (and once per matching pattern) and the same bytes are queued
/// to every subscriber.
/// </summary>
internal sealed class PubSubHub
{
    private readonly Dictionary<byte[], List<Subscriber>> _channels = new(ByteArrayComparer.Instance);
    private readonly Dictionary<byte[], List<Subscriber>>.AlternateLookup<ReadOnlySpan<byte>> _channelLookup;
    private readonly Dictionary<byte[], List<Subscriber>> _patterns = new(ByteArrayComparer.Instance);
    private readonly Dictionary<byte[], List<Subscriber>>.AlternateLookup<ReadOnlySpan<byte>> _patternLookup;
    private readonly ArrayBufferWriter<byte> _scratch = new(256);

    public PubSubHub()
    {
        _channelLookup = _channels.GetAlternateLookup<ReadOnlySpan<byte>>();
        _patternLookup = _patterns.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <summary>False when nobody subscribes to anything: publishing (and keyspace notification) can skip all work.</summary>
    public bool HasSubscribers => _channels.Count > 0 || _patterns.Count > 0;

    /// <summary>Distinct patterns with at least one subscriber (PUBSUB NUMPAT).</summary>
    public int PatternCount => _patterns.Count;

    public int ChannelCount => _channels.Count;

    public IEnumerable<byte[]> ActiveChannels => _channels.Keys;

    public int SubscribersOf(ReadOnlySpan<byte> channel) => _channelLookup.TryGetValue(channel, out var list) ? list.Count : 0;

    /// <summary>Returns false when the subscriber already had the channel.</summary>
    public bool Subscribe(Subscriber subscriber, ReadOnlySpan<byte> channel)
    {
        var name = channel.ToArray();
        if (!subscriber.Channels.Add(name))
        {
            return false;
        }

        if (!_channelLookup.TryGetValue(channel, out var list))
        {
            list = [];
            _channels.Add(name, list);
        }

        list.Add(subscriber);
        return true;
    }

    public bool Unsubscribe(Subscriber subscriber, ReadOnlySpan<byte> channel)
    {
        if (!subscriber.Channels.GetAlternateLookup<ReadOnlySpan<byte>>().Remove(channel))
        {
            return false;
        }

        Detach(_channelLookup, channel, subscriber);
        return true;
    }

    public bool PSubscribe(Subscriber subscriber, ReadOnlySpan<byte> pattern)
    {
        if (subscriber.IndexOfPattern(pattern) >= 0)
        {
            return false;
        }

        var name = pattern.ToArray();
        subscriber.Patterns.Add(name);
        if (!_patternLookup.TryGetValue(pattern, out var list))
        {
            list = [];
            _patterns.Add(name, list);
        }

        list.Add(subscriber);
        return true;
    }

    public bool PUnsubscribe(Subscriber subscriber, ReadOnlySpan<byte> pattern)
    {
        var index = subscriber.IndexOfPattern(pattern);
        if (index < 0)
        {
            return false;
        }

        subscriber.Patterns.RemoveAt(index);
        Detach(_patternLookup, pattern, subscriber);
        return true;
    }

    /// <summary>Removes every subscription of a client (disconnect, RESET).</summary>
    public void RemoveAll(Subscriber subscriber)
    {
        foreach (var channel in subscriber.Channels)
        {
            Detach(_channelLookup, channel, subscriber);
        }

        foreach (var pattern in subscriber.Patterns)
        {
            Detach(_patternLookup, pattern, subscriber);
        }

        subscriber.Channels.Clear();
        subscriber.Patterns.Clear();
    }

    /// <summary>Delivers a message; returns the number of deliveries (a client matched by a channel and two patterns counts three times, as in Redis).</summary>
    public int Publish(ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message)
    {
        var receivers = 0;
        if (_channelLookup.TryGetValue(channel, out var subscribers))
        {
            var push = Encode(isPattern: false, default, channel, message);
            // A subscriber dropped for overflow only has its connection aborted here; its subscriptions are
            // removed when the connection ends, so the lists are not modified while we walk them.
            foreach (var subscriber in subscribers)
            {
                if (subscriber.Deliver(push))
                {
                    receivers++;
                }
            }
        }

        if (_patterns.Count > 0)
        {
            foreach (var (pattern, patternSubscribers) in _patterns)
            {
                if (!GlobPattern.IsMatch(pattern, channel))
                {
                    continue;
                }

                var push = Encode(isPattern: true, pattern, channel, message);
                foreach (var subscriber in patternSubscribers)
                {
                    if (subscriber.Deliver(push))
                    {
                        receivers++;
                    }
                }
            }
        }

        return receivers;
    }

    private static void Detach(Dictionary<byte[], List<Subscriber>>.AlternateLookup<ReadOnlySpan<byte>> lookup, ReadOnlySpan<byte> name, Subscriber subscriber)
    {
        if (lookup.TryGetValue(name, out var list))
        {
            list.Remove(subscriber);
            if (list.Count == 0)
            {
                // Drop empty entries so a client cannot grow the table by cycling through channel names.
                lookup.Remove(name);
            }
        }
    }

    /// <summary>RESP2 push: ["message", channel, payload] or, for a pattern, ["pmessage", pattern, channel, payload].</summary>
    private byte[] Encode(bool isPattern, ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message)
    {
        _scratch.ResetWrittenCount();
        if (!isPattern)
        {
            RespEncoder.WriteHeader(_scratch, 3);
            RespEncoder.WriteBulk(_scratch, "message"u8);
        }
        else
        {
            RespEncoder.WriteHeader(_scratch, 4);
            RespEncoder.WriteBulk(_scratch, "pmessage"u8);
            RespEncoder.WriteBulk(_scratch, pattern);
        }

        RespEncoder.WriteBulk(_scratch, channel);
        RespEncoder.WriteBulk(_scratch, message);
        return _scratch.WrittenSpan.ToArray();
    }
}
