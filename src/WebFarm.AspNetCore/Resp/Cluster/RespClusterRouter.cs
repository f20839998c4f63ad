using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace WebFarm.AspNetCore.Resp.Cluster;

/// <summary>
/// Routes commands over a Redis Cluster: the slot map comes from <c>CLUSTER SHARDS</c> (or <c>CLUSTER SLOTS</c>),
/// each command goes to the master of its key's slot over that node's multiplexed connections, <c>MOVED</c> is
/// followed and refreshes the map, <c>ASK</c> is followed with <c>ASKING</c> for that one command. A node that cannot
/// be reached (nothing sent) makes the command wait for a new map until the command timeout, which is how a
/// master's failover to its replica is ridden through.
/// </summary>
internal sealed class RespClusterRouter
{
    // Commands that chase a slot through a reshard may be redirected more than once; a loop between nodes must end.
    private const int MaxRedirections = 16;

    // Many commands meeting the same MOVED or dead node ask for one refresh, not one each.
    private static readonly TimeSpan MinRefreshInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxPause = TimeSpan.FromMilliseconds(500);

    // A client refreshes on errors and MOVED, so one that sends nothing to a failed master's slots during its outage
    // would keep the old map; when that master is restarted it serves its older, persisted data until gossip demotes
    // it (ClusterFailoverTests saw a stale read that way). Re-reading the map on a timer makes every client converge on
    // a failover within this period; one CLUSTER SHARDS per client per period costs nothing to speak of.
    private static readonly TimeSpan MapRefreshPeriod = TimeSpan.FromSeconds(5);
    private static readonly RespCommand Asking = RespCommand.Create("ASKING");
    private static readonly RespCommand Shards = RespCommand.Create("CLUSTER", "SHARDS");
    private static readonly RespCommand Slots = RespCommand.Create("CLUSTER", "SLOTS");
    private static readonly RespCommand Ping = RespCommand.Create("PING");

    private readonly RespClientOptions _options;
    private readonly IReadOnlyList<RespEndPoint> _seeds;
    private readonly RespConnector _connector;
    private readonly RespClientStatistics _statistics;
    private readonly ILogger _logger;
    private readonly CancellationToken _disposing;
    private readonly ConcurrentDictionary<RespEndPoint, ClusterNode> _nodes = new();
    private readonly Lock _refreshGate = new();
    private ClusterSlotMap? _map;
    private Task<ClusterSlotMap>? _refreshing;
    private long _lastRefreshTimestamp;

    public RespClusterRouter(RespClientOptions options, IReadOnlyList<RespEndPoint> seeds, RespConnector connector,
        RespClientStatistics statistics, ILogger logger, CancellationToken disposing)
    {
        _options = options;
        _seeds = seeds;
        _connector = connector;
        _statistics = statistics;
        _logger = logger;
        _disposing = disposing;
        _ = RefreshPeriodicallyAsync();
    }

    /// <summary>The slot map in use; null until the first command or health check read it.</summary>
    public ClusterSlotMap? Map => Volatile.Read(ref _map);

    /// <summary>
    /// Sends the commands, which must all hash to one slot, to that slot's master, back to back on one connection,
    /// and returns the replies in order; redirections and retries stay within <see cref="RespClientOptions.CommandTimeout"/>.
    /// </summary>
    public async Task<RespValue[]> ExecuteAsync(IReadOnlyList<RespCommand> commands, CancellationToken cancellationToken)
    {
        int slot = SlotOf(commands);
        var deadline = new RespDeadline(_options.CommandTimeout);
        var replies = new RespValue[commands.Count];
        int done = 0;
        RespEndPoint? target = null;
        ClusterNode? node = null;
        bool asking = false;
        int redirections = 0;
        int pauses = 0;
        while (true)
        {
            if (target is null)
            {
                var map = Volatile.Read(ref _map) ?? await RefreshAsync().WaitAsync(deadline.Remaining, cancellationToken).ConfigureAwait(false);
                var shard = slot < 0 ? map.Shards[0] : map.ShardFor(slot);
                if (shard is null)
                {
                    RequestRefresh();
                    await PauseOrThrowAsync(pauses++, deadline, commands[0], $"slot {slot} is served by no master ({map.Source})", cancellationToken).ConfigureAwait(false);
                    continue;
                }

                target = shard.Master;
                node = shard.MasterNode ??= Node(target);
            }

            node ??= Node(target);
            bool wasAsking = asking;
            RespConnection connection = null!;
            RespPendingCommand[]? pending = null;
            Task<RespValue>[] tasks = [];
            try
            {
                connection = await node.GetAsync().WaitAsync(deadline.Remaining, cancellationToken).ConfigureAwait(false);
                int count = commands.Count - done;
                pending = new RespPendingCommand[wasAsking ? count * 2 : count];
                tasks = new Task<RespValue>[pending.Length];
                int sent = 0;
                for (int i = done; i < commands.Count; i++)
                {
                    if (wasAsking)
                    {
                        // ASKING admits only the next command at the importing node, so it precedes each one.
                        pending[sent] = new RespPendingCommand(Asking);
                        tasks[sent] = connection.Send(pending[sent]);
                        sent++;
                    }

                    pending[sent] = new RespPendingCommand(commands[i]);
                    tasks[sent] = connection.Send(pending[sent]);
                    sent++;
                }

                await connection.WaitForRepliesAsync(pending, tasks, deadline, slot, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException) when (pending is null)
            {
                throw new RespTimeoutException($"{commands[0].Name} timed out after {deadline.Timeout.TotalMilliseconds:0} ms waiting for a connection to {target} (slot {slot}).");
            }
            catch (RespConnectionException ex) when (pending is null || !pending[0].WasWritten)
            {
                // Nothing reached the server (the node is down or backing off, or the socket broke before our bytes were
                // handed to it), so a retry is safe. Its replica may be taking over: wait for a map that names another
                // master (until the command timeout).
                RequestRefresh();
                await PauseOrThrowAsync(pauses++, deadline, commands[0], $"slot {slot} at {target}: {ex.Message}", cancellationToken).ConfigureAwait(false);
                target = null;
                node = null;
                asking = false;
                continue;
            }
            catch (RespConnectionException)
            {
                // The commands may have run; like the single-node client, never execute a command twice. The node may
                // be failing over: the next command should find the new map.
                RequestRefresh();
                throw;
            }

            asking = false;
            bool again = false;
            int p = 0;
            for (int i = done; i < commands.Count && !again; i++)
            {
                if (wasAsking && tasks[p++].Result is { IsError: true } askingError)
                {
                    throw new RespServerException("ASKING", askingError.AsString()!);
                }

                var reply = tasks[p++].Result;
                if (!reply.IsError)
                {
                    replies[i] = reply;
                    continue;
                }

                string message = reply.AsString()!;
                again = true;
                done = i; // commands before i succeeded; resend from i on
                if (ClusterRedirect.TryParse(message, connection.EndPoint, out var redirect))
                {
                    if (++redirections > MaxRedirections)
                    {
                        throw new RespServerException(commands[i].Name, $"{message} (gave up after {MaxRedirections} redirections for slot {slot})");
                    }

                    if (redirect.IsAsk)
                    {
                        _statistics.Ask();
                        asking = true;
                    }
                    else
                    {
                        _statistics.Moved();
                        RequestRefresh();
                    }

                    target = redirect.EndPoint;
                    node = null;
                }
                else if (IsTransient(message))
                {
                    // A slot in the middle of a migration (TRYAGAIN), a cluster electing a new master (CLUSTERDOWN),
                    // a node loading its data: nothing ran, so wait and retry (until the command timeout).
                    RequestRefresh();
                    await PauseOrThrowAsync(pauses++, deadline, commands[i], $"{connection.EndPoint} answered {message}", cancellationToken).ConfigureAwait(false);
                    target = null;
                    node = null;
                }
                else
                {
                    throw new RespServerException(commands[i].Name, message);
                }
            }

            if (!again)
            {
                return replies;
            }
        }
    }

    /// <summary>
    /// Pings the master of every shard of a fresh slot map. Throws <see cref="RespClusterUnavailableException"/>
    /// naming each slot range, its node and the error when any master does not answer or any slot has no master.
    /// </summary>
    public async Task PingMastersAsync(CancellationToken cancellationToken)
    {
        var map = await RefreshAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        var shards = map.Shards;
        var probes = new Task<string?>[shards.Count];
        for (int i = 0; i < probes.Length; i++)
        {
            probes[i] = ProbeAsync(shards[i], cancellationToken);
        }

        await Task.WhenAll(probes).ConfigureAwait(false);
        var problems = new List<string>();
        foreach (var probe in probes)
        {
            if (probe.Result is { } problem)
            {
                problems.Add(problem);
            }
        }

        bool someServed = problems.Count < shards.Count;
        foreach (var range in map.Uncovered)
        {
            problems.Add($"slots {range}: no master serves them ({map.Source})");
        }

        if (problems.Count > 0)
        {
            RequestRefresh();
            throw new RespClusterUnavailableException(problems, someServed);
        }
    }

    /// <summary>Reads the slot map now (or joins the read in progress; at most one read per 200 ms).</summary>
    public Task<ClusterSlotMap> RefreshAsync()
    {
        lock (_refreshGate)
        {
            if (_refreshing is not null)
            {
                return _refreshing;
            }

            if (_map is { } map && Stopwatch.GetElapsedTime(_lastRefreshTimestamp) < MinRefreshInterval)
            {
                return Task.FromResult(map);
            }

            _refreshing = RefreshCoreAsync();
            return _refreshing;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes.Values)
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static bool IsTransient(string message) =>
        message.StartsWith("TRYAGAIN", StringComparison.Ordinal)
        || message.StartsWith("CLUSTERDOWN", StringComparison.Ordinal)
        || message.StartsWith("LOADING", StringComparison.Ordinal)
        || message.StartsWith("MASTERDOWN", StringComparison.Ordinal);

    private static int SlotOf(IReadOnlyList<RespCommand> commands)
    {
        int slot = -1;
        RespCommand? first = null;
        for (int i = 0; i < commands.Count; i++)
        {
            var command = commands[i];
            if (!command.HasKey)
            {
                continue;
            }

            int own = ClusterKeySlot.Of(command.Key);
            if (first is null)
            {
                first = command;
                slot = own;
            }
            else if (own != slot)
            {
                throw new ArgumentException(
                    $"A batch on a cluster must stay in one hash slot: {first.Name}'s key is in slot {slot}, {command.Name}'s key in slot {own}. " +
                    "Give related keys a common hash tag, e.g. {user42}:cart and {user42}:profile.", nameof(commands));
            }
        }

        return slot;
    }

    /// <summary>Waits 25, 50, 100 ... 500 ms before the next attempt, or throws when that would pass the command timeout.</summary>
    private static async Task PauseOrThrowAsync(int attempt, RespDeadline deadline, RespCommand command, string problem, CancellationToken cancellationToken)
    {
        var pause = TimeSpan.FromMilliseconds(Math.Min(MaxPause.TotalMilliseconds, 25 * Math.Pow(2, Math.Min(attempt, 10))));
        var elapsed = deadline.Elapsed;
        if (elapsed + pause >= deadline.Timeout)
        {
            throw new RespConnectionException($"{command.Name} failed after {elapsed.TotalMilliseconds:0} ms of retries: {problem.TrimEnd('.')}.");
        }

        await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
    }

    private async Task RefreshPeriodicallyAsync()
    {
        try
        {
            using var timer = new PeriodicTimer(MapRefreshPeriod);
            while (await timer.WaitForNextTickAsync(_disposing).ConfigureAwait(false))
            {
                if (Volatile.Read(ref _map) is null)
                {
                    continue; // Not a cluster client, or no command yet: the first command reads the map.
                }

                try
                {
                    await RefreshAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is RespException or IOException)
                {
                    // Counted and logged by RefreshCoreAsync; the next tick or command tries again.
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The client is being disposed.
        }
    }

    private void RequestRefresh()
    {
        var refresh = RefreshAsync();
        if (!refresh.IsCompleted)
        {
            // Nobody awaits this one; its failure is counted and logged by RefreshCoreAsync.
            refresh.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task<string?> ProbeAsync(ClusterShard shard, CancellationToken cancellationToken)
    {
        try
        {
            var reply = await SendToNodeAsync(shard.Master, Ping, _options.CommandTimeout, cancellationToken).ConfigureAwait(false);
            return reply.IsError ? $"{shard}: {reply.AsString()}" : null;
        }
        catch (RespException ex)
        {
            return $"{shard}: {ex.Message.TrimEnd('.')}";
        }
    }

    private async Task<ClusterSlotMap> RefreshCoreAsync()
    {
        // Never complete synchronously: RefreshAsync assigns _refreshing only after this returns.
        await Task.Yield();
        try
        {
            List<string>? problems = null;
            foreach (var endPoint in Candidates())
            {
                try
                {
                    var map = await ReadMapAsync(endPoint).ConfigureAwait(false);
                    var previous = Interlocked.Exchange(ref _map, map);
                    _statistics.MapRefreshed();
                    if (previous is null)
                    {
                        _logger.LogInformation("RESP cluster slot map ({Source}): {Map}", map.Source, map);
                    }
                    else if (!previous.RoutesLike(map))
                    {
                        _logger.LogWarning("RESP cluster slot map changed ({Source}): {Map}", map.Source, map);
                    }

                    return map;
                }
                catch (Exception ex) when (ex is RespException or IOException && !_disposing.IsCancellationRequested)
                {
                    (problems ??= []).Add($"{endPoint}: {ex.Message.TrimEnd('.')}");
                }
            }

            _statistics.MapRefreshFailed();
            string detail = problems is null ? "no node to ask" : string.Join("; ", problems);
            _logger.LogWarning("Cannot read the RESP cluster slot map: {Detail}", detail);
            throw new RespConnectionException($"Cannot read the cluster slot map from any node: {detail}.");
        }
        finally
        {
            lock (_refreshGate)
            {
                _refreshing = null;
                _lastRefreshTimestamp = Stopwatch.GetTimestamp();
            }
        }
    }

    /// <summary>Whom to ask for the map: the known masters (they see failovers first), their replicas, then the seeds.</summary>
    private List<RespEndPoint> Candidates()
    {
        var candidates = new List<RespEndPoint>();
        if (Volatile.Read(ref _map) is { } map)
        {
            foreach (var shard in map.Shards)
            {
                candidates.Add(shard.Master);
            }

            foreach (var shard in map.Shards)
            {
                foreach (var replica in shard.Replicas)
                {
                    if (!candidates.Contains(replica))
                    {
                        candidates.Add(replica);
                    }
                }
            }
        }

        foreach (var seed in _seeds)
        {
            if (!candidates.Contains(seed))
            {
                candidates.Add(seed);
            }
        }

        return candidates;
    }

    private async Task<ClusterSlotMap> ReadMapAsync(RespEndPoint endPoint)
    {
        var timeout = _connector.ConnectTimeout;
        var shards = await SendToNodeAsync(endPoint, Shards, timeout, _disposing).ConfigureAwait(false);
        if (!shards.IsError)
        {
            return ClusterSlotMapParser.FromShards(shards, endPoint);
        }

        // Redis before 7.0 has no CLUSTER SHARDS; CLUSTER SLOTS carries the same routing.
        var slots = await SendToNodeAsync(endPoint, Slots, timeout, _disposing).ConfigureAwait(false);
        return ClusterSlotMapParser.FromSlots(slots, endPoint);
    }

    private async Task<RespValue> SendToNodeAsync(RespEndPoint endPoint, RespCommand command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = new RespDeadline(timeout);
        RespConnection connection;
        try
        {
            connection = await Node(endPoint).GetAsync().WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new RespTimeoutException($"No connection to {endPoint} within {timeout.TotalMilliseconds:0} ms.");
        }

        RespPendingCommand[] pending = [new RespPendingCommand(command)];
        Task<RespValue>[] reply = [connection.Send(pending[0])];
        await connection.WaitForRepliesAsync(pending, reply, deadline, -1, cancellationToken).ConfigureAwait(false);
        return reply[0].Result;
    }

    private ClusterNode Node(RespEndPoint endPoint) =>
        _nodes.GetOrAdd(endPoint, static (ep, self) => new ClusterNode(ep, self._connector, self._options, self._disposing), this);
}
