using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Admin;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;

namespace WebFarm.Controller.Rotation;

/// <summary>
/// An external `webfarm balancer` driven through its admin API. It is reconciled, not sent a log of changes: each
/// round reads its farms (GET /api/farms), compares them with the <see cref="DesiredRotation"/> and applies the
/// difference (stage farms and their routes created, replaced or removed; servers added, replaced, set, weighted, and
/// removed when the controller added them and no longer wants them). So a
/// balancer that was down, restarted or changed by hand is put back in step on the next round, and it keeps serving
/// its last configuration whenever the controller is not there to drive it.
/// </summary>
public sealed partial class ExternalBalancer : IRotationBalancer, IDisposable
{
    /// <summary>How long one admin call may take: a balancer that does not answer is retried next round, never waited on.</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan DrainPoll = TimeSpan.FromMilliseconds(200);

    private readonly AdminApiClient _client;
    private readonly ILogger _logger;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private BalancerStatus _status;
    private int _changes;

    public ExternalBalancer(BalancerEndpoint endpoint, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        Endpoint = endpoint;
        _logger = logger;
        _client = new AdminApiClient(endpoint.AdminUrl, endpoint.Token, CallTimeout);
        _status = new BalancerStatus(endpoint.Display, InProcess: false, InStep: false, LastReconciled: null, ChangesApplied: 0, Error: "not reconciled yet", MissingFarms: []);
    }

    public BalancerEndpoint Endpoint { get; }

    public string Name => Endpoint.Display;

    public BalancerStatus Status => Volatile.Read(ref _status);

    /// <summary>
    /// One call to see that the balancer accepts the token. Returns null when it does, or when it cannot be reached
    /// now (it is retried); the reason when it refuses the token, naming the balancer.
    /// </summary>
    public async Task<string?> CheckTokenAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _client.ListFarmsAsync(cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (AdminApiException ex) when (ex.IsTokenRefused)
        {
            return Describe(ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or AdminApiException)
        {
            Log.NotReachableAtStart(_logger, Name, Describe(ex));
            return null;
        }
    }

    /// <summary>Asks for a round now (the desired rotation changed).</summary>
    public void Nudge() => _wake.Writer.TryWrite(true);

    /// <summary>Rounds until <paramref name="cancellationToken"/>: on each nudge, and every <paramref name="interval"/> to notice a balancer that came back or was changed by hand.</summary>
    public async Task RunAsync(Func<DesiredRotation> desired, Func<bool> mayRemove, TimeSpan interval, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await ReconcileAsync(desired(), mayRemove(), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A failure ReconcileAsync does not expect must not end the loop: this balancer would never be driven again.
                Publish(Status with { InStep = false, Error = $"balancer {Name}: reconciliation failed ({ex.GetType().Name}: {ex.Message}); retried" });
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(interval);
            try
            {
                await _wake.Reader.WaitToReadAsync(wait.Token).ConfigureAwait(false);
                _wake.Reader.TryRead(out _);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The interval passed: a round anyway.
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// One round: reads the balancer's farms and makes them what <paramref name="desired"/> says. First the farms the
    /// controller creates there (stage farms: <see cref="DesiredRotation.ControllerFarms"/>): created or replaced when
    /// they differ, and removed when no longer wanted; then the servers of every farm. A server the controller wants
    /// out of rotation (offline, draining) and the balancer lacks is not added: it would take requests between the add
    /// and the state change. One the controller's checks find unhealthy is added unhealthy (<c>"healthy": false</c>), so
    /// it takes no request before the balancer's own check passes; a balancer that refuses that (its farm has no health
    /// check, or it is an earlier version) does not get it until the controller sees it healthy. Servers from the balancer's own configuration file are left alone unless the controller
    /// names them; servers added at run time, and controller farms, are removed only when <paramref name="mayRemove"/>
    /// (not in the first heartbeat window of a new leader, whose runtime fills as agents heartbeat). A farm of the
    /// servers or of an app that the balancer's file lacks is reported, not created. Never throws for the balancer's
    /// failures: they go into <see cref="Status"/> and the next round retries.
    /// </summary>
    public async Task ReconcileAsync(DesiredRotation desired, bool mayRemove, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(desired);
        var applied = 0;
        try
        {
            var actual = await _client.ListFarmsAsync(cancellationToken).ConfigureAwait(false);
            var byName = new Dictionary<string, RemoteFarm>(StringComparer.Ordinal);
            foreach (var farm in actual)
            {
                byName[farm.Name] = farm;
            }

            var problems = new List<string>();
            applied += await ReconcileControllerFarmsAsync(desired, byName, mayRemove, problems, cancellationToken).ConfigureAwait(false);
            var missing = new List<string>();
            foreach (var (farmName, wanted) in desired.Farms)
            {
                if (!byName.TryGetValue(farmName, out var farm))
                {
                    if (wanted.Count > 0 && !IsControllerFarm(desired, farmName))
                    {
                        missing.Add(farmName);
                    }

                    continue;
                }

                applied += await ReconcileFarmAsync(farmName, wanted, farm.Servers, mayRemove, problems, cancellationToken).ConfigureAwait(false);
            }

            Interlocked.Add(ref _changes, applied);
            if (missing.Count > 0)
            {
                problems.Insert(0, $"balancer {Name} has no farm {string.Join(", ", missing.Select(m => $"'{m}'"))} in its configuration: add the farm(s) to its config file so the controller can put servers in them");
            }

            var error = problems.Count == 0 ? null : string.Join("; ", problems);
            Publish(new BalancerStatus(Name, InProcess: false, InStep: error is null, DateTimeOffset.UtcNow, Volatile.Read(ref _changes), error, missing));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or AdminApiException or System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            Interlocked.Add(ref _changes, applied);
            var previous = Status;
            Publish(previous with { InStep = false, ChangesApplied = Volatile.Read(ref _changes), Error = Describe(ex) });
        }
    }

    /// <inheritdoc/>
    public async Task WaitDrainedAsync(string farm, string server, CancellationToken cancellationToken)
    {
        while (true)
        {
            IReadOnlyList<RemoteFarm> farms;
            try
            {
                farms = await _client.ListFarmsAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or AdminApiException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                Log.DrainNotSeen(_logger, Name, farm, server, Describe(ex));
                return;
            }

            var found = farms.FirstOrDefault(f => f.Name == farm)?.Servers.FirstOrDefault(s => s.Name == server);
            if (found is null || found is { State: not ServerState.Online, InFlight: 0 })
            {
                return;
            }

            Nudge(); // Still online here: the drain may not have been applied yet.
            await Task.Delay(DrainPoll, cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose() => _client.Dispose();

    /// <summary>
    /// Creates or replaces each wanted controller farm that the balancer lacks or has otherwise, and removes (when
    /// <paramref name="mayRemove"/>) those no longer wanted; <paramref name="farms"/> follows. A farm the balancer
    /// refuses (its file lacks the app's farm, or has a route with the same matchers) goes into
    /// <paramref name="problems"/> with the balancer's reason, and the other farms are reconciled regardless.
    /// </summary>
    private async Task<int> ReconcileControllerFarmsAsync(DesiredRotation desired, Dictionary<string, RemoteFarm> farms, bool mayRemove, List<string> problems, CancellationToken cancellationToken)
    {
        var applied = 0;
        IReadOnlyList<ControllerFarmOptions> existing;
        try
        {
            existing = await _client.ListControllerFarmsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (AdminApiException ex) when (ex.Status == System.Net.HttpStatusCode.NotFound)
        {
            // A balancer of an earlier version: its servers are still driven; a stage cannot reach it.
            if (desired.ControllerFarms.Count > 0)
            {
                problems.Add($"balancer {Name} has no /api/controller/farms (an earlier webfarm balancer): upgrade it to serve stages there");
            }

            return 0;
        }

        var have = new Dictionary<string, ControllerFarmOptions>(StringComparer.Ordinal);
        foreach (var farm in existing)
        {
            have[farm.Name] = farm;
        }

        foreach (var wanted in desired.ControllerFarms)
        {
            if (have.Remove(wanted.Name, out var current) && current.SameAs(wanted))
            {
                continue;
            }

            try
            {
                await _client.SetControllerFarmAsync(wanted, cancellationToken).ConfigureAwait(false);
            }
            catch (AdminApiException ex) when (ex.Status == System.Net.HttpStatusCode.BadRequest)
            {
                problems.Add($"balancer {Name} refuses stage farm '{wanted.Name}' ({ex.Error})");
                continue;
            }

            Log.Changed(_logger, Name, wanted.Name, "(farm)", $"{(current is null ? "created" : "replaced")} like {wanted.Like} with {wanted.Routes.Count} route(s)");
            farms.TryAdd(wanted.Name, new RemoteFarm(wanted.Name, []));
            applied++;
        }

        if (mayRemove)
        {
            foreach (var extra in have.Keys)
            {
                await _client.RemoveControllerFarmAsync(extra, cancellationToken).ConfigureAwait(false);
                Log.Changed(_logger, Name, extra, "(farm)", "removed with its routes: the controller no longer has it");
                farms.Remove(extra);
                applied++;
            }
        }

        return applied;
    }

    private static bool IsControllerFarm(DesiredRotation desired, string farm)
    {
        foreach (var f in desired.ControllerFarms)
        {
            if (f.Name == farm)
            {
                return true;
            }
        }

        return false;
    }

    private async Task<int> ReconcileFarmAsync(string farm, IReadOnlyList<DesiredServer> wanted, IReadOnlyList<RemoteServer> actual, bool mayRemove, List<string> problems, CancellationToken cancellationToken)
    {
        var applied = 0;
        var present = new Dictionary<string, RemoteServer>(StringComparer.Ordinal);
        foreach (var s in actual)
        {
            present[s.Name] = s;
        }

        foreach (var w in wanted)
        {
            if (present.Remove(w.Name, out var have) && !w.IsAt(have.Address))
            {
                await _client.RemoveServerAsync(farm, w.Name, cancellationToken).ConfigureAwait(false);
                Log.Changed(_logger, Name, farm, w.Name, $"removed: its address is now {w.Address}, not {have.Address}");
                applied++;
                have = null;
            }

            if (have is null)
            {
                if (w.State == ServerState.Online)
                {
                    try
                    {
                        await _client.AddServerAsync(farm, w.Name, w.Address, w.Weight, w.Healthy, cancellationToken).ConfigureAwait(false);
                    }
                    catch (AdminApiException ex) when (!w.Healthy && ex.Status == System.Net.HttpStatusCode.BadRequest)
                    {
                        problems.Add($"balancer {Name} refuses {farm}/{w.Name} out of rotation ({ex.Error}): it is added once the controller sees it healthy");
                        continue;
                    }

                    Log.Changed(_logger, Name, farm, w.Name, w.Healthy ? $"added at {w.Address}, weight {w.Weight}" : $"added at {w.Address}, weight {w.Weight}, out of rotation until its health check passes");
                    applied++;
                }

                continue;
            }

            if (have.State != w.State)
            {
                await _client.SetStateAsync(farm, w.Name, w.State, cancellationToken).ConfigureAwait(false);
                Log.Changed(_logger, Name, farm, w.Name, $"{have.State} -> {w.State}");
                applied++;
            }

            if (have.Weight != w.Weight)
            {
                await _client.SetWeightAsync(farm, w.Name, w.Weight, cancellationToken).ConfigureAwait(false);
                Log.Changed(_logger, Name, farm, w.Name, $"weight {have.Weight} -> {w.Weight}");
                applied++;
            }
        }

        if (mayRemove)
        {
            foreach (var extra in present.Values)
            {
                if (extra.AddedAtRuntime)
                {
                    await _client.RemoveServerAsync(farm, extra.Name, cancellationToken).ConfigureAwait(false);
                    Log.Changed(_logger, Name, farm, extra.Name, "removed: the controller no longer has it");
                    applied++;
                }
            }
        }

        return applied;
    }

    private void Publish(BalancerStatus next)
    {
        var previous = Interlocked.Exchange(ref _status, next);
        if (next.Error is not null && next.Error != previous.Error)
        {
            Log.OutOfStep(_logger, next.Error);
        }
        else if (next.InStep && !previous.InStep)
        {
            Log.InStep(_logger, Name);
        }
    }

    private string Describe(Exception ex) => ex switch
    {
        AdminApiException { IsTokenRefused: true } refused => $"balancer {Name} refused the controller's token ({(int)refused.Status}: {refused.Error}): check --balancer-token for it",
        AdminApiException api => $"balancer {Name} answered {api.Message}",
        TaskCanceledException => $"balancer {Name} did not answer within {CallTimeout.TotalSeconds:0} s; retried",
        HttpRequestException http => $"balancer {Name} cannot be reached ({http.Message}); retried",
        _ => $"balancer {Name} gave an answer the controller cannot read ({ex.Message})",
    };

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Balancer {Balancer}: {Farm}/{Server} {Change}")]
        public static partial void Changed(ILogger logger, string balancer, string farm, string server, string change);

        [LoggerMessage(Level = LogLevel.Warning, Message = "{Reason}")]
        public static partial void OutOfStep(ILogger logger, string reason);

        [LoggerMessage(Level = LogLevel.Information, Message = "Balancer {Balancer} follows the rotation")]
        public static partial void InStep(ILogger logger, string balancer);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Balancer {Balancer} cannot be reached at start ({Reason}); it is retried and reconciled when it answers")]
        public static partial void NotReachableAtStart(ILogger logger, string balancer, string reason);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Balancer {Balancer}: cannot see {Farm}/{Server} drained ({Reason}); not waiting for it")]
        public static partial void DrainNotSeen(ILogger logger, string balancer, string farm, string server, string reason);
    }
}
