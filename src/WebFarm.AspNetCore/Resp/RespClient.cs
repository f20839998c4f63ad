using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WebFarm.AspNetCore.Resp.Cluster;

namespace WebFarm.AspNetCore.Resp;

/// <summary>
/// A small RESP2 client for the <c>webfarm state</c> server or Redis. Thread-safe; create one per
/// application. Commands are multiplexed round robin over <see cref="RespClientOptions.ConnectionCount"/>
/// sockets and pipelined (everything queued on a socket goes out in one write). Broken sockets are
/// replaced with exponential backoff; with several endpoints the client uses the one whose
/// <c>ROLE</c> is <c>master</c> and finds the new primary after a failover. Against a Redis or Valkey Cluster
/// (configured, or detected from <c>cluster_enabled:1</c>) commands are routed by hash slot instead
/// (<see cref="RespTopology.Cluster"/>).
/// </summary>
public sealed class RespClient : IAsyncDisposable
{
    private readonly RespClientOptions _options;
    private readonly RespEndPoint[] _endPoints;
    private readonly RespConnectionSlot[] _slots;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _disposing = new();
    private readonly RespConnector _connector;
    private readonly RespClusterRouter _cluster;
    private int _topology; // RespTopology; Auto until the first connection decides
    private int _primaryIndex;
    private int _nextSlot;
    private int _disposed;

    /// <summary>Creates a client; no connection is made until the first command.</summary>
    /// <exception cref="ArgumentException">The options are invalid (no endpoints, bad host:port, non-positive timeouts).</exception>
    public RespClient(RespClientOptions options, ILogger<RespClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.EndPoints.Count == 0)
        {
            throw new ArgumentException("RespClientOptions.EndPoints is empty; give at least one host:port.", nameof(options));
        }

        if (options.ConnectionCount is < 1 or > 64)
        {
            throw new ArgumentException($"RespClientOptions.ConnectionCount is {options.ConnectionCount}; it must be between 1 and 64.", nameof(options));
        }

        if (options.CommandTimeout <= TimeSpan.Zero || options.ConnectTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("RespClientOptions.CommandTimeout and ConnectTimeout must be positive.", nameof(options));
        }

        if (!Enum.IsDefined(options.Topology))
        {
            throw new ArgumentException($"RespClientOptions.Topology is {options.Topology}; use Auto, Primary or Cluster.", nameof(options));
        }

        _options = options;
        _topology = (int)options.Topology;
        _connector = new RespConnector(options);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _endPoints = new RespEndPoint[options.EndPoints.Count];
        for (int i = 0; i < _endPoints.Length; i++)
        {
            try
            {
                _endPoints[i] = RespEndPoint.Parse(options.EndPoints[i], $"RespClientOptions.EndPoints[{i}]");
            }
            catch (FormatException ex)
            {
                throw new ArgumentException(ex.Message, nameof(options), ex);
            }
        }

        _slots = new RespConnectionSlot[options.ConnectionCount];
        for (int i = 0; i < _slots.Length; i++)
        {
            _slots[i] = new RespConnectionSlot(ConnectToPrimaryAsync, options.MaxReconnectBackoff, _disposing.Token);
        }

        _cluster = new RespClusterRouter(options, _endPoints, _connector, Statistics, _logger, _disposing.Token);
    }

    /// <summary>Primary or Cluster once known; Auto until the first connection to a server decided.</summary>
    public RespTopology Topology => (RespTopology)Volatile.Read(ref _topology);

    /// <summary>In cluster mode, the slot map in use (null before the first command read it, and outside cluster mode).</summary>
    public ClusterSlotMap? ClusterMap => _cluster.Map;

    /// <summary>Redirection and slot map counters (cluster mode).</summary>
    public RespClientStatistics Statistics { get; } = new();

    /// <summary>The endpoints the client was given.</summary>
    public IReadOnlyList<RespEndPoint> EndPoints => _endPoints;

    /// <summary>The endpoint currently believed to be the primary (the first endpoint until a connection says otherwise).</summary>
    public RespEndPoint CurrentEndPoint => _endPoints[Volatile.Read(ref _primaryIndex)];

    /// <summary>The per-command timeout.</summary>
    public TimeSpan CommandTimeout => _options.CommandTimeout;

    /// <summary>Sends a command built from <paramref name="command"/> and <paramref name="args"/> (see <see cref="RespCommand.Create"/>).</summary>
    public Task<RespValue> ExecuteAsync(string command, params object[] args) =>
        ExecuteAsync(RespCommand.Create(command, args), CancellationToken.None);

    /// <summary>
    /// Sends one command and returns its reply. Error replies throw <see cref="RespServerException"/>;
    /// no reply within <see cref="RespClientOptions.CommandTimeout"/> throws <see cref="RespTimeoutException"/>;
    /// an unreachable server throws <see cref="RespConnectionException"/>.
    /// </summary>
    public async Task<RespValue> ExecuteAsync(RespCommand command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        var replies = await ExecuteCoreAsync([command], cancellationToken).ConfigureAwait(false);
        return replies[0];
    }

    /// <summary>
    /// Sends several commands back to back on the same connection, so the server executes them in order
    /// (for example HSET then EXPIRE of the same key), and returns the replies in order. Not a transaction.
    /// If any reply is an error, throws <see cref="RespServerException"/> for the first one.
    /// </summary>
    public Task<RespValue[]> ExecuteBatchAsync(IReadOnlyList<RespCommand> commands, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commands);
        if (commands.Count == 0)
        {
            return Task.FromResult(Array.Empty<RespValue>());
        }

        return ExecuteCoreAsync(commands, cancellationToken);
    }

    /// <summary>
    /// Sends PING and returns the round-trip time. On a cluster every master of a freshly read slot map is pinged;
    /// masters that do not answer (or slots without a master) throw <see cref="RespClusterUnavailableException"/>
    /// naming each slot range and node.
    /// </summary>
    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        if (Topology == RespTopology.Cluster)
        {
            await _cluster.PingMastersAsync(cancellationToken).ConfigureAwait(false);
            return Stopwatch.GetElapsedTime(start);
        }

        var reply = await ExecuteAsync(RespCommand.Create("PING"), cancellationToken).ConfigureAwait(false);
        if (reply.AsString() != "PONG")
        {
            throw new RespProtocolException($"{CurrentEndPoint} answered PING with '{reply}' instead of PONG.");
        }

        if (Topology == RespTopology.Cluster)
        {
            // That PING was the first command and found a cluster: check every master, not just one.
            await _cluster.PingMastersAsync(cancellationToken).ConfigureAwait(false);
        }

        return Stopwatch.GetElapsedTime(start);
    }

    /// <summary>Closes every connection; pending commands fail with <see cref="RespConnectionException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        await _cluster.DisposeAsync().ConfigureAwait(false);
        foreach (var slot in _slots)
        {
            if (slot.Current is { } connection)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }

        _disposing.Dispose();
    }

    private async Task<RespValue[]> ExecuteCoreAsync(IReadOnlyList<RespCommand> commands, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Volatile.Read(ref _topology) == (int)RespTopology.Cluster)
        {
            return await _cluster.ExecuteAsync(commands, cancellationToken).ConfigureAwait(false);
        }

        var deadline = new RespDeadline(_options.CommandTimeout);
        TimeSpan timeout = _options.CommandTimeout;
        for (int attempt = 0; ; attempt++)
        {
            var slot = _slots[(int)((uint)Interlocked.Increment(ref _nextSlot) % (uint)_slots.Length)];
            RespConnection connection;
            try
            {
                connection = await slot.GetAsync().WaitAsync(deadline.Remaining, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new RespTimeoutException($"{commands[0].Name} timed out after {timeout.TotalMilliseconds:0} ms waiting for a connection to {CurrentEndPoint}.");
            }

            if (Volatile.Read(ref _topology) == (int)RespTopology.Cluster)
            {
                // This connection's handshake found a cluster node (Auto): route by slot from now on.
                return await _cluster.ExecuteAsync(commands, cancellationToken).ConfigureAwait(false);
            }

            if (connection.EndPointIndex != Volatile.Read(ref _primaryIndex))
            {
                // Another slot found a new primary; this socket still points at the old one.
                connection.Fail(new RespConnectionException($"Primary moved from {connection.EndPoint} to {CurrentEndPoint}."));
                if (attempt < 2)
                {
                    continue;
                }
            }

            var pending = new RespPendingCommand[commands.Count];
            var tasks = new Task<RespValue>[commands.Count];
            for (int i = 0; i < pending.Length; i++)
            {
                pending[i] = new RespPendingCommand(commands[i]);
                tasks[i] = connection.Send(pending[i]);
            }

            try
            {
                await connection.WaitForRepliesAsync(pending, tasks, deadline, -1, cancellationToken).ConfigureAwait(false);
            }
            catch (RespConnectionException) when (attempt == 0 && !pending[0].WasWritten)
            {
                // The socket broke before our bytes were handed to it, so the server never saw the
                // commands: retrying on a fresh connection cannot execute anything twice.
                continue;
            }

            var replies = new RespValue[tasks.Length];
            for (int i = 0; i < tasks.Length; i++)
            {
                replies[i] = tasks[i].Result;
            }

            bool demoted = false;
            for (int i = 0; i < replies.Length && !demoted; i++)
            {
                if (!replies[i].IsError)
                {
                    continue;
                }

                string message = replies[i].AsString()!;
                if (attempt == 0 && _endPoints.Length > 1 && message.StartsWith("READONLY", StringComparison.Ordinal))
                {
                    // The primary was demoted to a replica (failover); READONLY means nothing was written.
                    // Drop this socket so the next connect asks every endpoint for its ROLE again.
                    _logger.LogWarning("{EndPoint} is now read-only (demoted); looking for the new primary.", connection.EndPoint);
                    connection.Fail(new RespConnectionException($"{connection.EndPoint} was demoted to a replica."));
                    demoted = true;
                    continue;
                }

                throw new RespServerException(commands[i].Name, message);
            }

            if (!demoted)
            {
                return replies;
            }
        }
    }

    /// <summary>
    /// Opens a connection to the primary: tries the last known primary first, then the others in order.
    /// With a single endpoint the ROLE check is skipped (whatever is there is what the app asked for).
    /// </summary>
    private async Task<RespConnection> ConnectToPrimaryAsync(CancellationToken cancellationToken)
    {
        int start = Volatile.Read(ref _primaryIndex);
        List<string>? problems = null;
        for (int i = 0; i < _endPoints.Length; i++)
        {
            int index = (start + i) % _endPoints.Length;
            var endPoint = _endPoints[index];
            RespConnection? connection = null;
            try
            {
                connection = await _connector.OpenAsync(endPoint, index, cancellationToken).ConfigureAwait(false);
                if (Volatile.Read(ref _topology) == (int)RespTopology.Auto)
                {
                    var found = await _connector.DetectTopologyAsync(connection, cancellationToken).ConfigureAwait(false);
                    if (found != RespTopology.Auto && Interlocked.CompareExchange(ref _topology, (int)found, (int)RespTopology.Auto) == (int)RespTopology.Auto)
                    {
                        _logger.LogInformation("{EndPoint} reports cluster_enabled:{Enabled}: the RESP client runs in {Topology} mode.",
                            endPoint, found == RespTopology.Cluster ? 1 : 0, found);
                    }

                    if (found == RespTopology.Cluster)
                    {
                        return connection;
                    }
                }
                if (_endPoints.Length > 1)
                {
                    var role = await _connector.HandshakeAsync(connection, RespCommand.Create("ROLE"), cancellationToken).ConfigureAwait(false);
                    string? name = role.Kind == RespValueKind.Array && role.Items.Count > 0 ? role.Items[0].AsString() : null;
                    if (role.IsError && role.AsString()!.StartsWith("NOAUTH", StringComparison.Ordinal))
                    {
                        throw new RespConnectionException($"{endPoint} requires a password (NOAUTH); set Password.");
                    }

                    // A server without ROLE cannot be part of a failover pair, so it counts as the primary.
                    if (!role.IsError && name != "master")
                    {
                        throw new RespConnectionException($"{endPoint} is a {name ?? "server of unknown role"}, not the primary");
                    }
                }

                if (Interlocked.Exchange(ref _primaryIndex, index) != index)
                {
                    _logger.LogWarning("RESP client now uses {EndPoint} as the primary.", endPoint);
                }

                return connection;
            }
            catch (Exception ex) when (ex is RespException or IOException && !cancellationToken.IsCancellationRequested)
            {
                if (connection is not null)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                }

                (problems ??= []).Add(ex.Message.TrimEnd('.'));
            }
            catch
            {
                if (connection is not null)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                }

                throw;
            }
        }

        string detail = string.Join("; ", problems!);
        _logger.LogDebug("RESP connect failed: {Detail}", detail);
        throw new RespConnectionException(_endPoints.Length == 1
            ? detail + "."
            : $"No primary among {_endPoints.Length} endpoints: {detail}.");
    }
}
