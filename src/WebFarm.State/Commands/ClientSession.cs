using System.IO.Pipelines;
using WebFarm.State.Hosting;
using WebFarm.State.Protocol;
using WebFarm.State.Replication;
using WebFarm.State.Storage;

namespace WebFarm.State.Commands;

/// <summary>Per-client state seen by commands: identity, authentication, transaction queue, reply writer.</summary>
internal sealed class ClientSession(ServerContext server, long id, RespWriter reply, string address)
{
    public ServerContext Server { get; } = server;

    public StateStore Store => Server.Store;

    public RespWriter Reply { get; } = reply;

    public long Id { get; } = id;

    public string Address { get; } = address;

    public long CreatedAtMs { get; } = Environment.TickCount64;

    public string? Name { get; set; }

    public bool Authenticated { get; set; }

    /// <summary>The connection from our master (or the log replay): no replies, no read-only check, the master's view of expiry.</summary>
    public bool IsMasterLink { get; init; }

    /// <summary>A replica attached with PSYNC: from then on its output belongs to the replication stream.</summary>
    public ReplicaPeer? Peer { get; set; }

    public bool CloseRequested { get; set; }

    /// <summary>The connection's output, handed to a <see cref="ReplicaPeer"/> on PSYNC.</summary>
    public PipeWriter? Output { get; init; }

    /// <summary>Closes the connection (used to drop a replica).</summary>
    public Action? Abort { get; init; }

    /// <summary>Announced REPLCONF capa webfarm: a WebFarm replica, allowed to PSYNC.</summary>
    public bool IsWebFarmReplica { get; set; }

    /// <summary>Port announced by a replica with REPLCONF listening-port.</summary>
    public int ReplicaListeningPort { get; set; }

    public List<QueuedCommand>? MultiQueue { get; set; }

    public bool MultiFailed { get; set; }

    public bool InMulti => MultiQueue is not null;

    public string LastCommand { get; set; } = "NULL";

    /// <summary>A network client: a long KEYS/SCAN may finish after the store lock is released.</summary>
    public bool CanDefer { get; init; }

    /// <summary>True while EXEC runs the queue: everything must complete under the lock, in order.</summary>
    public bool InExec { get; set; }

    /// <summary>A KEYS/SCAN the connection completes outside the store lock before reading the next command.</summary>
    public KeyspaceWalk? DeferredWalk { get; set; }
}
