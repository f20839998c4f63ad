using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using WebFarm.State.Commands;
using WebFarm.State.Persistence;
using WebFarm.State.Protocol;
using WebFarm.State.Replication;
using WebFarm.State.Storage;

namespace WebFarm.State.Hosting;

/// <summary>Everything one running server shares between its connections, commands and background work.</summary>
internal sealed class ServerContext
{
    private long _nextClientId;

    public ServerContext(StateServerOptions options, ILogger logger)
    {
        Options = options;
        Logger = logger;
        Store = new StateStore { MaxMemory = options.MaxMemoryBytes, Policy = options.MaxMemoryPolicy, EvictionSamples = options.EvictionSamples };
        Replication = new ReplicationState(this);
        Limits = new ParserLimits(options.MaxBulkLength, options.MaxMultibulkLength);
    }

    public StateServerOptions Options { get; }

    public ILogger Logger { get; }

    public StateStore Store { get; }

    public CommandTable Commands { get; } = new();

    public ReplicationState Replication { get; }

    public AppendOnlyLog? Log { get; set; }

    public ParserLimits Limits { get; }

    public ConcurrentDictionary<long, ClientSession> Clients { get; } = new();

    public bool RequiresAuth => Options.Password is not null;

    public int Port { get; set; }

    public long StartedAtTicks { get; } = Environment.TickCount64;

    public string RunId { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));

    /// <summary>Cancelled when the server starts stopping: ends the accept loop, the cron and running key walks.</summary>
    public CancellationTokenSource Stop { get; } = new();

    public long TotalConnections;

    public long DroppedSlowClients;

    public long ProtocolErrors;

    /// <summary>KEYS/SCAN walks finishing outside the store lock right now (INFO key_walks_running).</summary>
    public long RunningKeyWalks;

    public long NextClientId() => Interlocked.Increment(ref _nextClientId);

    /// <summary>Under the store lock, at the end of every batch of commands.</summary>
    public void OnBatchEnd()
    {
        if (Store.Feed.TakeWritten() && Replication.Peers.Count > 0)
        {
            Replication.SignalPeers();
        }
    }
}
