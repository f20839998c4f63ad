using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using WebFarm.State.Commands;
using WebFarm.State.Hosting;
using WebFarm.State.Protocol;

namespace WebFarm.State.Replication;

/// <summary>
/// This server's place in replication: master (with a backlog and attached replicas) or replica (with a
/// link to its master). Every member is used under the store lock.
/// </summary>
internal sealed partial class ReplicationState(ServerContext server)
{
    private static readonly byte[] PingCommand = RespEncoder.Command("PING");
    private long _offsetWithoutBacklog;
    private long _lastPingMs;

    public ReplicationRole Role { get; private set; } = ReplicationRole.Master;

    public string ReplId { get; private set; } = NewReplId();

    public ReplicationBacklog? Backlog { get; private set; }

    public List<ReplicaPeer> Peers { get; } = [];

    public ReplicaLink? Link { get; private set; }

    /// <summary>Bytes of replication stream produced (master) or applied (replica).</summary>
    public long Offset => Role == ReplicationRole.Replica && Link is not null ? Link.Offset : Backlog?.EndOffset ?? _offsetWithoutBacklog;

    /// <summary>PSYNC from a replica: full sync unless it asks for our history and the backlog still holds it.</summary>
    public void AttachReplica(ClientSession session, ReadOnlySpan<byte> requestedId, long requestedOffset)
    {
        if (session.Output is null || session.Abort is null)
        {
            session.Reply.Error("ERR this connection cannot become a replica");
            return;
        }

        if (Role != ReplicationRole.Master)
        {
            session.Reply.Error("NOMASTERLINK Can't SYNC while not connected with my master");
            return;
        }

        EnsureBacklog();
        var peer = new ReplicaPeer(server, session, session.Output, session.Abort) { ListeningPort = session.ReplicaListeningPort };
        session.Peer = peer;
        session.Reply.Redirect(null);
        Peers.Add(peer);

        var wanted = requestedOffset - 1;
        var partial = Text.Is(requestedId, System.Text.Encoding.ASCII.GetBytes(ReplId))
            && wanted >= Backlog!.StartOffset && wanted <= Backlog.EndOffset;
        var snapshot = partial ? null : server.Store.Keys.Capture(server.Store.NowMs);
        var start = partial ? wanted : Backlog!.EndOffset;
        _ = Task.Run(() => peer.RunAsync(ReplId, start, snapshot));
    }

    public void EnsureBacklog()
    {
        if (Backlog is null)
        {
            Backlog = new ReplicationBacklog(server.Options.ReplicationBacklogBytes, _offsetWithoutBacklog);
            server.Store.Feed.Replication = Backlog;
        }
    }

    public void BecomeReplica(string host, int port)
    {
        DropPeers();
        var oldLink = Link;
        if (Role == ReplicationRole.Master)
        {
            _offsetWithoutBacklog = Offset;
        }

        Backlog = null;
        server.Store.Feed.Replication = null;
        Role = ReplicationRole.Replica;
        server.Store.IsReplica = true;
        Link = new ReplicaLink(server, host, port);
        Link.Start();
        if (oldLink is not null)
        {
            _ = oldLink.DisposeAsync().AsTask();
        }

        Log.NowReplica(server.Logger, host, port);
    }

    public void BecomeMaster()
    {
        if (Role == ReplicationRole.Master)
        {
            return;
        }

        var link = Link!;
        _offsetWithoutBacklog = link.Offset;
        Link = null;
        _ = link.DisposeAsync().AsTask();
        // A new history starts here: replicas of the old master must fully resync with us.
        ReplId = NewReplId();
        Role = ReplicationRole.Master;
        server.Store.IsReplica = false;
        Log.Promoted(server.Logger, _offsetWithoutBacklog);
    }

    /// <summary>After a batch of commands: wake the senders if the stream grew.</summary>
    public void SignalPeers()
    {
        foreach (var peer in Peers)
        {
            peer.Wake();
        }
    }

    /// <summary>Once per second: a PING in the stream lets replicas see the link is alive and measure lag.</summary>
    public void Tick(long nowTicks)
    {
        if (Role == ReplicationRole.Master && Peers.Count > 0 && nowTicks - _lastPingMs >= 1000)
        {
            _lastPingMs = nowTicks;
            Backlog?.Append(PingCommand);
            SignalPeers();
        }
    }

    public void DropPeers()
    {
        foreach (var peer in Peers.ToArray())
        {
            peer.Stop();
        }

        Peers.Clear();
    }

    private static string NewReplId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
}
