using Microsoft.Extensions.Logging;

namespace WebFarm.State.Hosting;

/// <summary>Configuration of a <see cref="StateServer"/>. Validated once at start and not changed afterwards.</summary>
public sealed record StateServerOptions
{
    /// <summary>The default port, the one the ASP.NET State Service used.</summary>
    public const int DefaultPort = 42424;

    /// <summary>TCP port; 0 picks a free one (read it back from <see cref="StateServer.EndPoint"/>).</summary>
    public int Port { get; init; } = DefaultPort;

    public string BindAddress { get; init; } = "127.0.0.1";

    /// <summary>Password clients must AUTH with; null means no authentication.</summary>
    public string? Password { get; init; }

    /// <summary>Password for our master when this server is a replica; defaults to <see cref="Password"/>.</summary>
    public string? MasterPassword { get; init; }

    /// <summary>Memory budget for data in bytes (0 = unlimited); <see cref="MaxMemoryPolicy"/> says what a write that does not fit does.</summary>
    public long MaxMemoryBytes { get; init; }

    /// <summary>What a write that needs memory over <see cref="MaxMemoryBytes"/> does: refused (default, as Redis) or evicts.</summary>
    public Storage.MaxMemoryPolicy MaxMemoryPolicy { get; init; } = Storage.MaxMemoryPolicy.NoEviction;

    /// <summary>Keys sampled per eviction (Redis's maxmemory-samples).</summary>
    public int EvictionSamples { get; init; } = 5;

    /// <summary>Directory of the append-only log; null keeps data in memory only.</summary>
    public string? Directory { get; init; }

    public AppendFsyncPolicy AppendFsync { get; init; } = AppendFsyncPolicy.EverySec;

    /// <summary>Rewrite the log when the incremental part is at least this big...</summary>
    public long AofRewriteMinBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>...and at least this percentage of the base part.</summary>
    public int AofRewritePercentage { get; init; } = 100;

    /// <summary>"host:port" of the master to replicate from; null starts as a master.</summary>
    public string? ReplicaOf { get; init; }

    /// <summary>Largest bulk string accepted in a request (Redis's proto-max-bulk-len, 512 MB).</summary>
    public long MaxBulkLength { get; init; } = 512L * 1024 * 1024;

    /// <summary>Most arguments accepted in one request.</summary>
    public int MaxMultibulkLength { get; init; } = 1024 * 1024;

    /// <summary>Largest unprocessed request data kept per client (Redis's client-query-buffer-limit, 1 GB).</summary>
    public long MaxQueryBufferBytes { get; init; } = 1024L * 1024 * 1024;

    /// <summary>A client whose replies have not been read for this long is disconnected.</summary>
    public TimeSpan ClientOutputStallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Unflushed reply bytes per client above which writing waits for the client to read.</summary>
    public int ClientOutputBufferBytes { get; init; } = 1024 * 1024;

    /// <summary>
    /// Pub/Sub messages waiting for one subscriber above which it is disconnected (Redis's
    /// client-output-buffer-limit for pubsub clients, 32 MB): a subscriber that stops reading never
    /// slows a publisher and never grows the server's memory without bound.
    /// </summary>
    public long ClientPubSubOutputLimitBytes { get; init; } = 32L * 1024 * 1024;

    public TimeSpan ReplicaOutputStallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public int ReplicationBacklogBytes { get; init; } = 16 * 1024 * 1024;

    public TimeSpan ActiveExpiryInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long stopping waits for clients and replication before it closes anyway (the log is always flushed).</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public ILoggerFactory? LoggerFactory { get; init; }
}
