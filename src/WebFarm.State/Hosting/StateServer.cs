using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WebFarm.State.Networking;
using WebFarm.State.Persistence;

namespace WebFarm.State.Hosting;

/// <summary>
/// The `webfarm state` server: a RESP2 (Redis protocol) session-state and cache server with an
/// append-only log and replication. Start one in-process with <see cref="StartAsync"/>; dispose it to
/// stop (the log is flushed and fsynced).
/// </summary>
public sealed partial class StateServer : IAsyncDisposable
{
    private readonly ServerContext _context;
    private readonly IConnectionListener _listener;
    private readonly ConcurrentDictionary<ClientConnection, Task> _connections = new();
    private readonly ILoggerFactory _loggerFactory;
    private Task _acceptLoop = Task.CompletedTask;
    private Task _cron = Task.CompletedTask;
    private int _disposed;

    private StateServer(ServerContext context, IConnectionListener listener, ILoggerFactory loggerFactory)
    {
        _context = context;
        _listener = listener;
        _loggerFactory = loggerFactory;
        EndPoint = (IPEndPoint)listener.EndPoint;
    }

    /// <summary>The bound endpoint (with the real port when <see cref="StateServerOptions.Port"/> was 0).</summary>
    public IPEndPoint EndPoint { get; }

    public int Port => EndPoint.Port;

    /// <summary>Completes when the server has stopped.</summary>
    public Task Completion => _stopped.Task;

    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Validates the options, replays the log (if any), binds, and starts serving.</summary>
    public static async Task<StateServer> StartAsync(StateServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var context = new ServerContext(options, loggerFactory.CreateLogger("WebFarm.State"));
        if (options.Directory is not null)
        {
            context.Log = await AppendOnlyLog.OpenAsync(context, Path.GetFullPath(options.Directory), cancellationToken);
            context.Store.Feed.Log = context.Log;
        }

        IConnectionListener listener;
        try
        {
            var transport = new SocketTransportFactory(
                Microsoft.Extensions.Options.Options.Create(new SocketTransportOptions
                {
                    NoDelay = true,
                    // Run the connection loop on the socket's I/O thread instead of hopping to the thread
                    // pool: command execution never blocks (the store lock is held only for a batch),
                    // and saving two context switches per request matters when the server has one core.
                    UnsafePreferInlineScheduling = true,
                    // No read-side cap: a request's size is bounded by MaxQueryBufferBytes instead, and a
                    // capped pipe would deadlock a request larger than the cap.
                    MaxReadBufferSize = null,
                    MaxWriteBufferSize = options.ClientOutputBufferBytes,
                }),
                loggerFactory);
            listener = await transport.BindAsync(new IPEndPoint(IPAddress.Parse(options.BindAddress), options.Port), cancellationToken);
        }
        catch (Exception)
        {
            if (context.Log is not null)
            {
                await context.Log.DisposeAsync();
            }

            throw;
        }

        var server = new StateServer(context, listener, loggerFactory);
        context.Port = server.Port;
        if (options.ReplicaOf is not null)
        {
            HostPort.TryParse(options.ReplicaOf, out var host, out var port, out _);
            lock (context.Store.Sync)
            {
                context.Replication.BecomeReplica(host, port);
            }
        }

        server._acceptLoop = Task.Run(server.AcceptLoopAsync);
        server._cron = Task.Run(server.CronAsync);
        Log.Listening(context.Logger, server.EndPoint, options.Directory ?? "off");
        return server;
    }

    private static void Validate(StateServerOptions options)
    {
        if (options.Port is < 0 or > 65535)
        {
            throw new ArgumentException($"Port {options.Port} is out of range: expected 0-65535.", nameof(options));
        }

        if (!IPAddress.TryParse(options.BindAddress, out _))
        {
            throw new ArgumentException($"Bind address '{options.BindAddress}' is not an IP address.", nameof(options));
        }

        if (options.MaxMemoryBytes < 0)
        {
            throw new ArgumentException("MaxMemoryBytes must not be negative.", nameof(options));
        }

        if (options.ReplicaOf is not null && !HostPort.TryParse(options.ReplicaOf, out _, out _, out var error))
        {
            throw new ArgumentException($"ReplicaOf: {error}", nameof(options));
        }

        if (options.MaxBulkLength < 1 || options.MaxBulkLength > int.MaxValue - 64 || options.MaxMultibulkLength < 1)
        {
            throw new ArgumentException("MaxBulkLength must be 1..2 GB and MaxMultibulkLength at least 1.", nameof(options));
        }

        if (options.ShutdownTimeout < TimeSpan.Zero || options.ShutdownTimeout > TimeSpan.FromHours(1))
        {
            throw new ArgumentException($"ShutdownTimeout {options.ShutdownTimeout} is out of range: expected 0 to 1 hour.", nameof(options));
        }

        if (options.EvictionSamples is < 1 or > 64 || options.ReplicationBacklogBytes < 1024 || options.ClientOutputBufferBytes < 1024)
        {
            throw new ArgumentException("EvictionSamples must be 1-64, ReplicationBacklogBytes and ClientOutputBufferBytes at least 1024.", nameof(options));
        }

        if (options.ClientPubSubOutputLimitBytes < 1024)
        {
            throw new ArgumentException("ClientPubSubOutputLimitBytes must be at least 1024.", nameof(options));
        }
    }

    /// <summary>The role and replication offset, for tests and hosts ("master"/"replica").</summary>
    public Replication.ReplicationRole Role
    {
        get
        {
            lock (_context.Store.Sync)
            {
                return _context.Replication.Role;
            }
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            ConnectionContext? connection;
            try
            {
                connection = await _listener.AcceptAsync(_context.Stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex)
            {
                if (_context.Stop.IsCancellationRequested)
                {
                    return;
                }

                Log.AcceptFailed(_context.Logger, ex.Message);
                continue;
            }

            if (connection is null)
            {
                return;
            }

            var client = new ClientConnection(_context, connection);
            _connections[client] = Task.CompletedTask;
            _connections[client] = Task.Run(async () =>
            {
                try
                {
                    await client.RunAsync();
                }
                finally
                {
                    _connections.TryRemove(client, out _);
                }
            });
        }
    }

    /// <summary>Background duties: active expiry (about 10 times a second) and the replication heartbeat.</summary>
    private async Task CronAsync()
    {
        using var timer = new PeriodicTimer(_context.Options.ActiveExpiryInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_context.Stop.Token))
            {
                lock (_context.Store.Sync)
                {
                    _context.Store.BeginBatch();
                    _context.Store.ActiveExpireCycle(TimeSpan.FromMilliseconds(25));
                    _context.Replication.Tick(Environment.TickCount64);
                    _context.OnBatchEnd();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task WithinAsync(Task task, TimeSpan timeout)
    {
        try
        {
            await task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
        }
        catch (Exception) when (task.IsFaulted || task.IsCanceled)
        {
            // Connection and link tasks end however their sockets end; shutting down goes on.
        }
    }

    /// <summary>
    /// Stops accepting, closes clients and replication, flushes and fsyncs the log, all within
    /// <see cref="StateServerOptions.ShutdownTimeout"/> whatever clients are doing.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _stopped.Task;
            return;
        }

        // Every wait is bounded by one deadline: a client in the middle of a command, or one that never reads
        // its replies, cannot keep the process alive past ShutdownTimeout (issue 11: SIGTERM did not stop it).
        var deadline = Environment.TickCount64 + (long)_context.Options.ShutdownTimeout.TotalMilliseconds;
        TimeSpan Remaining() => TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64));
        try
        {
            await _context.Stop.CancelAsync();
            await _listener.UnbindAsync();
            await _acceptLoop;
            await WithinAsync(_cron, Remaining());
            foreach (var client in _connections.Keys)
            {
                client.Abort();
            }

            await WithinAsync(Task.WhenAll(_connections.Values), Remaining());
            Replication.ReplicaLink? link = null;
            if (_context.Store.Sync.TryEnter(Remaining()))
            {
                try
                {
                    _context.Replication.DropPeers();
                    link = _context.Replication.Link;
                }
                finally
                {
                    _context.Store.Sync.Exit();
                }
            }
            else
            {
                Log.StoreStillHeld(_context.Logger);
            }

            if (link is not null)
            {
                await WithinAsync(link.DisposeAsync().AsTask(), Remaining());
            }

            if (_context.Log is not null)
            {
                // The log gets its flush and fsync even when the deadline has passed: bounded by the disk, not by clients.
                await _context.Log.DisposeAsync();
            }

            await _listener.DisposeAsync();
            Log.Stopped(_context.Logger, EndPoint);
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }
}
