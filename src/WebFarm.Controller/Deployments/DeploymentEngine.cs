using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using WebFarm.Agent.Releases;
using WebFarm.Balancer.Events;
using WebFarm.Controller.Agents;
using WebFarm.Controller.Api;
using WebFarm.Controller.Apps;
using WebFarm.Controller.Releases;
using WebFarm.Controller.Rotation;
using WebFarm.Controller.Store;
using WebFarm.Controller.Trace;

namespace WebFarm.Controller.Deployments;

/// <summary>
/// Rolls an app's release over its servers, batch by batch (<see cref="ServerRollout"/> for one server's phases): one
/// deployment per app at a time; a batch that fails stops it (the failed servers stay on the previous release; with
/// --auto-rollback the servers already done return to it too). Every phase change is saved in the store and published as
/// a <see cref="EventKind.ServerUpdated"/> event. Runs under the leader role; a new leader resumes what its predecessor
/// left running, or marks it failed when it cannot (<see cref="RecoverAsync"/>).
/// </summary>
public sealed partial class DeploymentEngine : IAsyncDisposable
{
    /// <summary>How many of the app's last output lines a failed server's record keeps.</summary>
    private const int OutputLines = 50;

    private readonly AgentRegistry _registry;
    private readonly IDeploymentStore _store;
    private readonly TraceStore _trace;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Deployment> _running = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<long, Task> _tasks = new();

    internal DeploymentEngine(AgentRegistry registry, AppCatalog catalog, FarmRotation rotation, ReleaseLibrary releases, IDeploymentStore store, TraceStore trace, ILogger logger, TimeProvider? time = null)
    {
        _registry = registry;
        Catalog = catalog;
        Rotation = rotation;
        Releases = releases;
        _store = store;
        _trace = trace;
        _logger = logger;
        Time = time ?? TimeProvider.System;
    }

    internal AppCatalog Catalog { get; }

    internal FarmRotation Rotation { get; }

    internal ReleaseLibrary Releases { get; }

    internal TimeProvider Time { get; }

    /// <summary>How long an agent has to report a release installed (it fetches it as soon as it is uploaded).</summary>
    public TimeSpan InstallTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long an old instance may take to finish the requests in flight once drained.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an agent has to stop an old instance (its SIGTERM grace is 10 s, then SIGKILL).</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The health gate: passes in a row of the app's health path.</summary>
    public int GatePasses { get; init; } = 3;

    /// <summary>Between two probes of the health gate.</summary>
    public TimeSpan GateInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Takes over what a previous leader left: the deployment it left running is resumed where each server was
    /// (<see cref="ResumeAsync"/>), or marked failed when it cannot be (<see cref="WhyNotResumable"/>); and which release
    /// each server of each app runs is restored from the apps' last deployments. Runs before the agents heartbeat, whose
    /// desired apps name those releases.
    /// </summary>
    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        foreach (var app in Catalog.Apps)
        {
            if (!app.RunsReleases)
            {
                continue;
            }

            var last = await _store.ListDeploymentsAsync(app.Name, 1, cancellationToken).ConfigureAwait(false);
            if (last.Count == 0)
            {
                continue;
            }

            var record = last[0];
            var resume = false;
            if (record.State == DeploymentState.Running)
            {
                var why = await WhyNotResumable(record, cancellationToken).ConfigureAwait(false);
                if (why is null)
                {
                    resume = true;
                }
                else
                {
                    record = await MarkInterruptedAsync(record, why, cancellationToken).ConfigureAwait(false);
                }
            }
            else if (record.State == DeploymentState.Staged)
            {
                RestoreStage(record);
            }

            var current = record.State is DeploymentState.Succeeded or DeploymentState.Partial ? record.Release : record.PreviousRelease;
            if (current is { } id)
            {
                Catalog.Releases.SetCurrent(app.Name, id);
            }

            foreach (var server in record.Servers)
            {
                if (server.Release is { } serving)
                {
                    // Resuming a server that was before its `stopping` phase: its agent keeps the new instance running
                    // beside the serving one, and its turn starts again from `starting` (which finds it running).
                    var next = resume && serving != record.Release && IsMidTurn(server.Phase) && record.Strategy == DeploymentKind.Rolling ? record.Release : (long?)null;
                    Catalog.Releases.Set(app.Name, server.Server, new ServerReleases(serving, next));
                }
            }

            if (resume)
            {
                Resume(record, app);
            }
        }
    }

    /// <summary>Starts a deployment in the background and returns its first record.</summary>
    /// <exception cref="ApiException">404 unknown app or release; 409 an app with a command of its own, a deployment
    /// of the app already running (naming it), or a server whose agent is lost.</exception>
    public async Task<DeploymentRecord> StartAsync(DeploymentRequest request, CancellationToken cancellationToken)
    {
        var app = Catalog.Get(request.App);
        if (!app.RunsReleases)
        {
            throw new ApiException(409, $"app '{app.Name}' runs its own command ({app.Command}), not releases; add an app without --command to deploy releases to it");
        }

        var releases = await Releases.ListAsync(TreeInstaller.ReleaseKind, app.Name, cancellationToken).ConfigureAwait(false);
        if (!releases.Exists(r => r.Id == request.Release))
        {
            throw new ApiException(404, string.Create(CultureInfo.InvariantCulture, $"release: app '{app.Name}' has no release {request.Release} (kept: {(releases.Count == 0 ? "none" : string.Join(", ", releases.Select(r => r.Id)))})"));
        }

        var servers = new List<TrackedServer>();
        var lost = new List<string>();
        foreach (var name in _registry.Names.Order(StringComparer.Ordinal))
        {
            if (_registry.Find(name) is { } server && app.RunsOn(name, server.CurrentLabels()))
            {
                servers.Add(server);
                lock (server.Lock)
                {
                    if (server.State == AgentState.Lost)
                    {
                        lost.Add(name);
                    }
                }
            }
        }

        if (servers.Count == 0)
        {
            throw new ApiException(409, $"app '{app.Name}' has no server to run on yet (no agent has joined that it runs on)");
        }

        if (lost.Count > 0)
        {
            throw new ApiException(409, $"the agent of {string.Join(", ", lost)} is lost: a deployment must reach every server of the app; bring it back first");
        }

        await CheckStageAsync(app, request, cancellationToken).ConfigureAwait(false);
        var now = Time.GetUtcNow();
        var previous = Catalog.Releases.Current(app.Name);
        var serverRecords = servers.Select(s => new DeploymentServer(s.Name, DeploymentPhase.Waiting, now, Catalog.Releases.For(app.Name, s.Name)?.Serving, null, [])).ToList();
        var record = new DeploymentRecord(0, app.Name, request.Release, previous, request.Strategy, DeploymentState.Running, now, null, null, serverRecords)
        {
            Kind = request.Kind,
            Batch = request.Batch.For(servers.Count),
            AutoRollback = request.AutoRollback,
            StagePath = request.StagePath,
            HealthTimeout = request.HealthTimeout,
            DrainTimeout = request.Kind == DeploymentKind.Stage ? null : request.DrainTimeout ?? DrainTimeout,
            HealthPasses = request.HealthPasses ?? GatePasses,
        };
        var deployment = new Deployment(record, request with { DrainTimeout = record.DrainTimeout ?? DrainTimeout, HealthPasses = record.HealthPasses });
        if (!_running.TryAdd(app.Name, deployment))
        {
            throw Busy(app.Name);
        }

        try
        {
            var id = await _store.AddDeploymentAsync(record, cancellationToken).ConfigureAwait(false);
            record = deployment.Change(r => r with { Id = id });
        }
        catch
        {
            _running.TryRemove(app.Name, out _);
            throw;
        }

        await EndStageForAsync(app.Name, record).ConfigureAwait(false);
        Publish(app.Name, null, EventKind.DeployStarted, string.Create(CultureInfo.InvariantCulture, $"{(request.Kind == DeploymentKind.Deploy ? "deployment" : request.Kind)} {record.Id} of {app.Name}: release {request.Release} over {servers.Count} server(s), {request.Strategy}, {record.Batch} at a time (was {(previous is null ? "none" : previous.Value.ToString(CultureInfo.InvariantCulture))})"));
        _tasks[record.Id] = Task.Run(() => request.Kind == DeploymentKind.Stage ? RunStageAsync(deployment, app, servers) : RunAsync(deployment, app, servers));
        return record;
    }

    /// <summary>The release `webfarm rollback APP` returns to: the one the app ran before its last successful deployment.</summary>
    /// <exception cref="ApiException">409 when there is none.</exception>
    public async Task<long> RollbackTargetAsync(string appName, CancellationToken cancellationToken)
    {
        var app = Catalog.Get(appName);
        var current = Catalog.Releases.Current(app.Name);
        foreach (var record in await _store.ListDeploymentsAsync(app.Name, 100, cancellationToken).ConfigureAwait(false))
        {
            if (record.State == DeploymentState.Succeeded && record.Release == current && record.PreviousRelease is { } previous)
            {
                return previous;
            }
        }

        throw new ApiException(409, $"app '{app.Name}' has no earlier release to return to (its current release is {(current is null ? "none" : current.Value.ToString(CultureInfo.InvariantCulture))}); name one with --to");
    }

    /// <summary>A deployment, from memory while it runs, else from the store.</summary>
    public async Task<DeploymentRecord?> GetAsync(long id, CancellationToken cancellationToken)
    {
        foreach (var running in _running.Values)
        {
            if (running.Record.Id == id)
            {
                return running.Record;
            }
        }

        return await _store.GetDeploymentAsync(id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The newest deployments (of an app when given), the running ones as they are now.</summary>
    public async Task<List<DeploymentRecord>> ListAsync(string? app, int limit, CancellationToken cancellationToken)
    {
        var list = new List<DeploymentRecord>();
        foreach (var record in await _store.ListDeploymentsAsync(app, limit, cancellationToken).ConfigureAwait(false))
        {
            list.Add(_running.TryGetValue(record.App, out var running) && running.Record.Id == record.Id ? running.Record : record);
        }

        return list;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_tasks.Values).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    /// <summary>Records a server's new phase: in the record, in the store, as an event.</summary>
    internal async Task PhaseAsync(Deployment deployment, string server, string phase, long? release = null, string? error = null, IReadOnlyList<string>? output = null)
    {
        var updated = deployment.SetServer(server, phase, Time.GetUtcNow(), release, error, output);
        Publish(deployment.Record.App, server, EventKind.ServerUpdated, string.Create(CultureInfo.InvariantCulture, $"deployment {deployment.Record.Id} of {deployment.Record.App}: {server} {phase}{(updated.Release is { } r ? $" (serving release {r})" : string.Empty)}{(error is null ? string.Empty : ": " + error)}"));
        await SaveAsync(deployment).ConfigureAwait(false);
    }

    /// <summary>Rolls <paramref name="servers"/> batch by batch; null: a resumed deployment, whose servers still to roll
    /// follow from its record (<see cref="ResumeServersAsync"/>).</summary>
    private async Task RunAsync(Deployment deployment, AppDefinition app, List<TrackedServer>? servers)
    {
        var token = _stop.Token;
        var request = deployment.Request;
        var record = deployment.Record;
        var done = new List<(TrackedServer Server, long? From)>();
        try
        {
            servers ??= await ResumeServersAsync(deployment, app, done, token).ConfigureAwait(false);
            if (servers is null)
            {
                return; // It could not be resumed after all, and is marked failed.
            }

            for (var start = 0; start < servers.Count; start += record.Batch)
            {
                var batch = servers.GetRange(start, Math.Min(record.Batch, servers.Count - start));
                var failure = await RunBatchAsync(deployment, app, batch, request.Release, done, token).ConfigureAwait(false);
                if (failure is not null)
                {
                    await FailAsync(deployment, app, failure, done, token).ConfigureAwait(false);
                    return;
                }
            }

            Catalog.Releases.SetCurrent(app.Name, request.Release);
            var notReady = NotReadyServers(deployment.Record);
            if (notReady.Count == 0)
            {
                await FinishAsync(deployment, DeploymentState.Succeeded, null).ConfigureAwait(false);
                Publish(app.Name, null, EventKind.DeployFinished, string.Create(CultureInfo.InvariantCulture, $"deployment {deployment.Record.Id} of {app.Name} finished: every server runs release {request.Release}"));
            }
            else
            {
                var why = string.Create(CultureInfo.InvariantCulture, $"release {request.Release} runs on every server, but {string.Join(", ", notReady)} did not pass the health gate: out of rotation, supervised, in once its check passes");
                await FinishAsync(deployment, DeploymentState.Partial, why).ConfigureAwait(false);
                Publish(app.Name, null, EventKind.DeployFinished, string.Create(CultureInfo.InvariantCulture, $"deployment {deployment.Record.Id} of {app.Name} finished partially: {why}"));
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stepping down or stopping: the next leader resumes it (RecoverAsync).
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Deployment {Id} of {App} failed unexpectedly", deployment.Record.Id, app.Name);
            await FinishAsync(deployment, DeploymentState.Failed, $"the controller failed: {ex.Message}").ConfigureAwait(false);
        }
        finally
        {
            if (request.Kind == DeploymentKind.Promote)
            {
                Catalog.Releases.ClearStaged(app.Name); // Its staged instances are serving now (or, failed, are not needed).
            }

            _running.TryRemove(new KeyValuePair<string, Deployment>(app.Name, deployment));
            _tasks.TryRemove(deployment.Record.Id, out _);
        }
    }

    /// <summary>Rolls one batch (its servers at once); the first failure (server, phase, reason), or null.</summary>
    private async Task<string?> RunBatchAsync(Deployment deployment, AppDefinition app, List<TrackedServer> batch, long to, List<(TrackedServer Server, long? From)> done, CancellationToken token)
    {
        var outcomes = await Task.WhenAll(batch.Select(server => RollOneAsync(deployment, app, server, to, token))).ConfigureAwait(false);
        string? failure = null;
        for (var i = 0; i < batch.Count; i++)
        {
            if (outcomes[i].Failure is { } reason)
            {
                failure ??= reason;
            }
            else
            {
                done.Add((batch[i], outcomes[i].From));
            }
        }

        return failure;
    }

    private async Task<(long? From, string? Failure)> RollOneAsync(Deployment deployment, AppDefinition app, TrackedServer server, long to, CancellationToken token)
    {
        var from = Catalog.Releases.For(app.Name, server.Name)?.Serving;
        try
        {
            if (await new ServerRollout(this, deployment, app, server, from, to).RunAsync(token).ConfigureAwait(false) is { } notReady)
            {
                await PhaseAsync(deployment, server.Name, DeploymentPhase.NotReady, to, notReady, OutputOf(server.Name, app.Name)).ConfigureAwait(false);
                return (from, null);
            }

            await PhaseAsync(deployment, server.Name, DeploymentPhase.Done, release: to).ConfigureAwait(false);
            return (from, null);
        }
        catch (RolloutFailure failure)
        {
            var serving = Catalog.Releases.For(app.Name, server.Name)?.Serving;
            await PhaseAsync(deployment, server.Name, DeploymentPhase.Failed, serving, $"{failure.Phase}: {failure.Message}", OutputOf(server.Name, app.Name)).ConfigureAwait(false);
            return (from, $"{server.Name} failed in phase {failure.Phase}: {failure.Message}");
        }
    }

    /// <summary>The servers a first deployment left out of rotation (<see cref="DeploymentPhase.NotReady"/>).</summary>
    private static List<string> NotReadyServers(DeploymentRecord record)
    {
        var names = new List<string>();
        foreach (var server in record.Servers)
        {
            if (server.Phase == DeploymentPhase.NotReady)
            {
                names.Add(server.Server);
            }
        }

        return names;
    }

    /// <summary>A batch failed: the deployment stops; with --auto-rollback the servers already done return to their release.</summary>
    private async Task FailAsync(Deployment deployment, AppDefinition app, string failure, List<(TrackedServer Server, long? From)> done, CancellationToken token)
    {
        if (!deployment.Request.AutoRollback || done.Count == 0)
        {
            await FinishAsync(deployment, DeploymentState.Failed, failure).ConfigureAwait(false);
            Publish(app.Name, null, EventKind.DeployFailed, $"deployment {deployment.Record.Id} of {app.Name} failed: {failure}");
            return;
        }

        var rollbackFailure = (string?)null;
        for (var i = done.Count - 1; i >= 0; i--)
        {
            var (server, from) = done[i];
            if (from is not { } previous)
            {
                continue; // It ran nothing before: nothing to return to.
            }

            try
            {
                await new ServerRollout(this, deployment, app, server, deployment.Request.Release, previous).RunAsync(token).ConfigureAwait(false);
                await PhaseAsync(deployment, server.Name, DeploymentPhase.RolledBack, release: previous).ConfigureAwait(false);
            }
            catch (RolloutFailure again)
            {
                rollbackFailure ??= $"; rolling {server.Name} back failed in phase {again.Phase}: {again.Message}";
                await PhaseAsync(deployment, server.Name, DeploymentPhase.Failed, Catalog.Releases.For(app.Name, server.Name)?.Serving, $"rolling back: {again.Phase}: {again.Message}", OutputOf(server.Name, app.Name)).ConfigureAwait(false);
            }
        }

        await FinishAsync(deployment, rollbackFailure is null ? DeploymentState.RolledBack : DeploymentState.Failed, failure + rollbackFailure).ConfigureAwait(false);
        Publish(app.Name, null, EventKind.DeployFailed, $"deployment {deployment.Record.Id} of {app.Name} failed: {failure}");
        if (rollbackFailure is null)
        {
            Publish(app.Name, null, EventKind.RolledBack, $"deployment {deployment.Record.Id} of {app.Name} rolled back: the servers already done run their previous release again");
        }
    }

    private async Task FinishAsync(Deployment deployment, string state, string? error)
    {
        deployment.Change(r => r with { State = state, FinishedAt = Time.GetUtcNow(), Error = error });
        await SaveAsync(deployment).ConfigureAwait(false);
    }

    private async Task SaveAsync(Deployment deployment)
    {
        await deployment.SaveGate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            await _store.SaveDeploymentAsync(deployment.Record, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The deployment goes on; the next phase change writes the record again.
            _logger.LogWarning(ex, "Could not save deployment {Id}", deployment.Record.Id);
        }
        finally
        {
            deployment.SaveGate.Release();
        }
    }

    /// <summary>The app's last output lines on the server (its agent sends them with every heartbeat).</summary>
    private List<string> OutputOf(string server, string app)
    {
        var lines = new List<string>();
        foreach (var record in _trace.Query(server, null, 0))
        {
            if (record.Source == app)
            {
                lines.Add(record.Message);
            }
        }

        return lines.Count <= OutputLines ? lines : lines.GetRange(lines.Count - OutputLines, OutputLines);
    }

    private ApiException Busy(string app)
        => new(409, string.Create(CultureInfo.InvariantCulture, $"deployment {(_running.TryGetValue(app, out var d) ? d.Record.Id : 0)} of app '{app}' is running; one deployment per app at a time (follow it with `webfarm deployments {app}`)"));

    internal void Publish(string app, string? server, EventKind kind, string message) => Rotation.Runtime.Events.Publish(app, server, kind, message);
}
