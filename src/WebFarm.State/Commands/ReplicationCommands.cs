using WebFarm.State.Hosting;
using WebFarm.State.Protocol;
using WebFarm.State.Replication;

namespace WebFarm.State.Commands;

/// <summary>REPLICAOF/SLAVEOF, ROLE, and the master side of the replication handshake (PSYNC, SYNC, REPLCONF).</summary>
internal static class ReplicationCommands
{
    /// <summary>The capability a WebFarm replica announces before PSYNC (an older master answers +OK and ignores it).</summary>
    public static ReadOnlySpan<byte> ReplicaCapability => "webfarm"u8;

    public static void Register(CommandTable table)
    {
        table.Add("replicaof", 3, CommandFlags.Admin, 0, 0, 0, ReplicaOf);
        table.Add("slaveof", 3, CommandFlags.Admin, 0, 0, 0, ReplicaOf);
        table.Add("role", 1, CommandFlags.Fast, 0, 0, 0, Role);
        table.Add("psync", -3, CommandFlags.Admin, 0, 0, 0, Psync);
        table.Add("sync", 1, CommandFlags.Admin, 0, 0, 0, (c, a) => c.Reply.Error(ErrorReplies.NotAWebFarmReplica));
        table.Add("replconf", -1, CommandFlags.Admin, 0, 0, 0, ReplConf);
    }

    private static void ReplicaOf(ClientSession c, scoped CommandArgs a)
    {
        var replication = c.Server.Replication;
        if (Text.Is(a[1], "NO"u8) && Text.Is(a[2], "ONE"u8))
        {
            replication.BecomeMaster();
            c.Reply.Ok();
            return;
        }

        if (!Text.TryLong(a[2], out var port) || port is < 1 or > 65535)
        {
            c.Reply.Error("ERR Invalid master port");
            return;
        }

        var host = Text.Utf8(a[1]);
        if (replication.Link is { } link && link.Host == host && link.Port == port)
        {
            c.Reply.Simple("OK Already connected to specified master");
            return;
        }

        replication.BecomeReplica(host, (int)port);
        c.Reply.Ok();
    }

    private static void Role(ClientSession c, scoped CommandArgs a)
    {
        var replication = c.Server.Replication;
        if (replication.Role == ReplicationRole.Master)
        {
            c.Reply.ArrayHeader(3);
            c.Reply.Bulk("master"u8);
            c.Reply.Integer(replication.Offset);
            c.Reply.ArrayHeader(replication.Peers.Count);
            foreach (var peer in replication.Peers)
            {
                c.Reply.ArrayHeader(3);
                c.Reply.Bulk(HostOf(peer.Address));
                c.Reply.Bulk(peer.ListeningPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
                c.Reply.Bulk(peer.AckOffset.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            return;
        }

        var link = replication.Link!;
        c.Reply.ArrayHeader(5);
        c.Reply.Bulk("slave"u8);
        c.Reply.Bulk(link.Host);
        c.Reply.Integer(link.Port);
        c.Reply.Bulk(link.State switch
        {
            ReplicaLinkState.Connecting => "connect",
            ReplicaLinkState.Handshake => "connecting",
            ReplicaLinkState.Syncing => "sync",
            _ => "connected",
        });
        c.Reply.Integer(link.Offset);
    }

    /// <summary>
    /// Only WebFarm replicas (which announce REPLCONF capa webfarm) may PSYNC: the full sync is a stream of
    /// commands, not the RDB file a Redis replica or `redis-cli --rdb` waits for, so they are refused up front.
    /// </summary>
    private static void Psync(ClientSession c, scoped CommandArgs a)
    {
        if (!c.IsWebFarmReplica)
        {
            c.Reply.Error(ErrorReplies.NotAWebFarmReplica);
            return;
        }

        if (!Text.TryLong(a[2], out var offset))
        {
            c.Reply.Error(ErrorReplies.NotInteger);
            return;
        }

        c.Server.Replication.AttachReplica(c, a[1], offset);
    }

    private static void ReplConf(ClientSession c, scoped CommandArgs a)
    {
        if (a.Count >= 3 && Text.Is(a[1], "ACK"u8))
        {
            // Acks come from attached replicas and are never answered.
            if (c.Peer is not null && Text.TryLong(a[2], out var ack))
            {
                c.Peer.AckOffset = ack;
                c.Peer.LastAckMs = Environment.TickCount64;
            }

            return;
        }

        for (var i = 1; i + 1 < a.Count; i += 2)
        {
            if (Text.Is(a[i], "LISTENING-PORT"u8) && Text.TryLong(a[i + 1], out var port))
            {
                c.ReplicaListeningPort = (int)port;
            }
            else if (Text.Is(a[i], "CAPA"u8) && Text.Is(a[i + 1], ReplicaCapability))
            {
                c.IsWebFarmReplica = true;
            }
        }

        if (a.Count >= 2 && Text.Is(a[1], "GETACK"u8))
        {
            return;
        }

        if ((a.Count & 1) == 0)
        {
            c.Reply.Error(ErrorReplies.Syntax);
            return;
        }

        c.Reply.Ok();
    }

    internal static string HostOf(string address)
    {
        var colon = address.LastIndexOf(':');
        return colon > 0 ? address[..colon].Trim('[', ']') : address;
    }

    internal static string LinkStatus(ReplicaLink link) => link.State == ReplicaLinkState.Connected ? "up" : "down";

    internal static long SecondsSince(long ticks) => (Environment.TickCount64 - ticks) / 1000;

}
