using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Events;
using WebFarm.Controller.Agents;
using WebFarm.Controller.Api;
using WebFarm.Controller.Apps;
using WebFarm.Controller.Rotation;

namespace WebFarm.Controller.Deployments;

/// <summary>
/// Staging (`webfarm deploy --stage`, `webfarm promote`, `webfarm unstage`): a stage is a deployment of kind
/// <see cref="DeploymentKind.Stage"/> that starts and gates the release on every server of the app at once, beside the
/// serving instance, and puts it in the app's stage farm, which only the stage's routes reach (<see cref="StageRoute"/>:
/// the <c>X-WebFarm-Release</c> header, the stage path). It ends <see cref="DeploymentState.Staged"/> and stays so until
/// it is promoted, replaced by another stage, removed by a deployment or rollback of the app, or unstaged. A promote is
/// a rolling deployment of the staged release: each server's staged instance becomes its next one (already running and
/// healthy, so no second start), the old one drains and stops. At most one stage per app; kept in the store (a new leader
/// restores a stage it finds staged in the store: <see cref="RestoreStage"/>).
/// </summary>
public sealed partial class DeploymentEngine
{
    /// <summary>Per app, the id of its stage's deployment record once staged.</summary>
    private readonly ConcurrentDictionary<string, long> _stages = new(StringComparer.Ordinal);

    /// <summary>The app's stage (staging or staged), null when nothing is staged.</summary>
    public async Task<DeploymentRecord?> StageOfAsync(string appName, CancellationToken cancellationToken)
    {
        var app = Catalog.Get(appName);
        if (_running.TryGetValue(app.Name, out var running) && running.Request.Kind == DeploymentKind.Stage)
        {
            return running.Record;
        }

        return _stages.TryGetValue(app.Name, out var id) ? await _store.GetDeploymentAsync(id, cancellationToken).ConfigureAwait(false) : null;
    }

    /// <summary>`webfarm unstage APP`: stops the staged instances and removes the stage's routes.</summary>
    /// <exception cref="ApiException">404 unknown app; 409 nothing staged, or a deployment of the app running.</exception>
    public async Task<DeploymentRecord> UnstageAsync(string appName, CancellationToken cancellationToken)
    {
        var app = Catalog.Get(appName);
        if (_running.ContainsKey(app.Name))
        {
            throw Busy(app.Name);
        }

        if (!_stages.TryGetValue(app.Name, out var id))
        {
            throw new ApiException(409, $"nothing is staged for app '{app.Name}' (stage a release with `webfarm deploy {app.Name} PATH --stage`)");
        }

        await EndStageAsync(app.Name, DeploymentState.Unstaged, "unstaged by the operator").ConfigureAwait(false);
        return await _store.GetDeploymentAsync(id, cancellationToken).ConfigureAwait(false)
            ?? throw new ApiException(404, string.Create(CultureInfo.InvariantCulture, $"no deployment {id}"));
    }

    /// <summary>The checks a stage or a promote needs beyond a deployment's (before anything is recorded).</summary>
    private async Task CheckStageAsync(AppDefinition app, DeploymentRequest request, CancellationToken cancellationToken)
    {
        if (request.Kind is not (DeploymentKind.Stage or DeploymentKind.Promote))
        {
            return;
        }

        if (_running.ContainsKey(app.Name))
        {
            throw Busy(app.Name);
        }

        if (request.Kind == DeploymentKind.Stage)
        {
            if (Catalog.Releases.Current(app.Name) == request.Release)
            {
                throw new ApiException(409, string.Create(CultureInfo.InvariantCulture, $"release {request.Release} is the release app '{app.Name}' serves: stage another one"));
            }

            if (!ConfigValidator.IsValidName(FarmRotation.StageFarmOf(app.Name)))
            {
                throw new ApiException(409, $"app '{app.Name}' cannot be staged: its stage farm's name '{FarmRotation.StageFarmOf(app.Name)}' is over 64 characters");
            }

            if (Catalog.Find(FarmRotation.StageFarmOf(app.Name)) is not null)
            {
                throw new ApiException(409, $"an app is named '{FarmRotation.StageFarmOf(app.Name)}', the name of app '{app.Name}''s stage farm: rename that app to stage '{app.Name}'");
            }

            return;
        }

        if (!_stages.TryGetValue(app.Name, out var id))
        {
            throw new ApiException(409, string.Create(CultureInfo.InvariantCulture, $"release {request.Release} of app '{app.Name}' is not staged: nothing is (stage it with `webfarm deploy {app.Name} PATH --stage`, or roll it out with `webfarm rollback {app.Name} --to {request.Release}`)"));
        }

        var staged = Rotation.StageOf(app.Name)?.Release;
        if (staged != request.Release)
        {
            var record = await _store.GetDeploymentAsync(id, cancellationToken).ConfigureAwait(false);
            var on = record is null ? string.Empty : " on " + string.Join(", ", record.Servers.Select(s => s.Server));
            throw new ApiException(409, string.Create(CultureInfo.InvariantCulture, $"release {request.Release} of app '{app.Name}' is not staged; release {staged} is (deployment {id}{on}): `webfarm promote {app.Name} {staged}`"));
        }
    }

    /// <summary>A deployment of the app started: a promote takes its stage over; any other kind ends it.</summary>
    private async Task EndStageForAsync(string app, DeploymentRecord started)
    {
        var (state, reason) = started.Kind switch
        {
            DeploymentKind.Promote => (DeploymentState.Promoted, $"promoted by deployment {started.Id}"),
            DeploymentKind.Stage => (DeploymentState.Unstaged, $"replaced by the stage of release {started.Release} (deployment {started.Id})"),
            _ => (DeploymentState.Unstaged, $"removed by {started.Kind} {started.Id} (release {started.Release}): stage it again after it"),
        };
        await EndStageAsync(app, state, string.Create(CultureInfo.InvariantCulture, $"{reason}")).ConfigureAwait(false);
    }

    /// <summary>
    /// Ends the app's stage (no-op when it has none): its routes and farm leave the balancer; unless promoted, its
    /// staged instances stop (a promote hands each one to its server's rollout and clears the rest when it ends).
    /// </summary>
    private async Task EndStageAsync(string app, string state, string reason)
    {
        if (!_stages.TryRemove(app, out var id))
        {
            return;
        }

        Rotation.SetStage(app, null);
        await RemoveStageRoutesAsync(app).ConfigureAwait(false);
        if (state != DeploymentState.Promoted)
        {
            Catalog.Releases.ClearStaged(app);
        }

        if (await _store.GetDeploymentAsync(id, CancellationToken.None).ConfigureAwait(false) is { } record)
        {
            await _store.SaveDeploymentAsync(record with { State = state, Error = reason }, CancellationToken.None).ConfigureAwait(false);
            Publish(app, null, EventKind.DeployFinished, string.Create(CultureInfo.InvariantCulture, $"stage {id} of {app} (release {record.Release}) {state}: {reason}"));
        }
    }

    /// <summary>
    /// A new leader found a stage its predecessor left staged (its record in the store: app, release, stage path,
    /// servers): it is the app's stage again. Before the agents' first heartbeats, each server's staged release is placed
    /// (so its agent keeps the staged instance running) and the stage's routes are applied with the apps' next apply;
    /// then each server's staged instance re-enters the stage farm as its agent reports it healthy
    /// (<see cref="RestoreStageEntriesAsync"/>).
    /// </summary>
    private void RestoreStage(DeploymentRecord record)
    {
        _stages[record.App] = record.Id;
        foreach (var server in record.Servers)
        {
            Catalog.Releases.SetStaged(record.App, server.Server, record.Release);
        }

        Rotation.SetStage(record.App, new StageRoute(record.Release, record.StagePath));
        Publish(record.App, null, EventKind.DeployStarted, string.Create(CultureInfo.InvariantCulture, $"stage {record.Id} of {record.App} (release {record.Release}) restored by the new leader on {string.Join(", ", record.Servers.Select(s => s.Server))}"));
        _tasks[record.Id] = Task.Run(() => RestoreStageEntriesAsync(record));
    }

    /// <summary>
    /// Puts each server's staged instance back in the stage farm once its agent reports it healthy. A server whose staged
    /// instance does not come back within <see cref="ResumeTimeout"/> ends the stage (`unstaged`, naming it): a stage is
    /// all or nothing. Stops early when the stage ends meanwhile (promoted, replaced, unstaged).
    /// </summary>
    private async Task RestoreStageEntriesAsync(DeploymentRecord record)
    {
        var token = _stop.Token;
        try
        {
            await Catalog.ReapplyAsync(token).ConfigureAwait(false); // The stage farm and its routes.
            var farm = FarmRotation.StageFarmOf(record.App);
            var pending = new List<string>(record.Servers.Count);
            foreach (var server in record.Servers)
            {
                pending.Add(server.Server);
            }

            var restored = await RotationWait.UntilAsync(
                () =>
                {
                    if (!IsStage(record))
                    {
                        return string.Empty; // Ended meanwhile: nothing left to restore.
                    }

                    pending.RemoveAll(name => TryBringInStaged(record, farm, name));
                    return pending.Count == 0 ? string.Empty : null;
                },
                ResumeTimeout,
                token).ConfigureAwait(false);
            if (restored is null && IsStage(record))
            {
                await EndStageAsync(record.App, DeploymentState.Unstaged, $"the new leader did not see the staged instance of {string.Join(", ", pending)} healthy within {ResumeTimeout.TotalSeconds:0} s of its start: stage it again").ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stepping down or stopping: the next leader restores it from the store again.
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Restoring stage {Id} of {App} failed", record.Id, record.App);
            await EndStageAsync(record.App, DeploymentState.Unstaged, $"the new leader could not restore it: {ex.Message}").ConfigureAwait(false);
        }
        finally
        {
            _tasks.TryRemove(record.Id, out _);
        }
    }

    /// <summary>Whether <paramref name="record"/> is still the app's stage.</summary>
    private bool IsStage(DeploymentRecord record) => _stages.TryGetValue(record.App, out var id) && id == record.Id;

    /// <summary>Puts <paramref name="server"/>'s staged instance in the stage farm if its agent reports it healthy; whether it did.</summary>
    private bool TryBringInStaged(DeploymentRecord record, string farm, string server)
    {
        if (_registry.Find(server) is not { } tracked)
        {
            return false;
        }

        lock (tracked.Lock)
        {
            foreach (var instance in tracked.Instances)
            {
                if (instance.App == record.App && instance.Release == record.Release && instance.Healthy && instance.Port != 0)
                {
                    Rotation.BringIn(farm, server, InstanceRotation.AddressOf(tracked.Address, instance.Port));
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Stages the release on every server of the app at once; all of them or none (a failure unstages it).</summary>
    private async Task RunStageAsync(Deployment deployment, AppDefinition app, List<TrackedServer> servers)
    {
        var token = _stop.Token;
        var request = deployment.Request;
        try
        {
            Rotation.SetStage(app.Name, new StageRoute(request.Release, request.StagePath));
            await ApplyStageRoutesAsync().ConfigureAwait(false);
            var failures = await Task.WhenAll(servers.Select(server => StageOneAsync(deployment, app, server, token))).ConfigureAwait(false);
            var failure = Array.Find(failures, f => f is not null);
            if (failure is null)
            {
                _stages[app.Name] = deployment.Record.Id;
                await FinishAsync(deployment, DeploymentState.Staged, null).ConfigureAwait(false);
                Publish(app.Name, null, EventKind.DeployFinished, string.Create(CultureInfo.InvariantCulture, $"stage {deployment.Record.Id} of {app.Name}: release {request.Release} staged on {string.Join(", ", servers.Select(s => s.Name))}; requests with {FarmRotation.ReleaseHeader}: {request.Release}{(request.StagePath is null ? string.Empty : " or under " + request.StagePath)} reach it"));
                return;
            }

            await UndoStageAsync(app.Name).ConfigureAwait(false);
            await FinishAsync(deployment, DeploymentState.Failed, failure + "; the release is not staged on any server").ConfigureAwait(false);
            Publish(app.Name, null, EventKind.DeployFailed, $"stage {deployment.Record.Id} of {app.Name} failed: {failure}");
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stepping down or stopping: the next leader marks it failed (RecoverAsync); nothing runs the stage there.
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Stage {Id} of {App} failed unexpectedly", deployment.Record.Id, app.Name);
            await UndoStageAsync(app.Name).ConfigureAwait(false);
            await FinishAsync(deployment, DeploymentState.Failed, $"the controller failed: {ex.Message}").ConfigureAwait(false);
        }
        finally
        {
            _running.TryRemove(new KeyValuePair<string, Deployment>(app.Name, deployment));
            _tasks.TryRemove(deployment.Record.Id, out _);
        }
    }

    /// <summary>One server's stage: installing → starting → gating → staged; the failure (server, phase, reason), or null.</summary>
    private async Task<string?> StageOneAsync(Deployment deployment, AppDefinition app, TrackedServer server, CancellationToken token)
    {
        var from = Catalog.Releases.For(app.Name, server.Name)?.Serving;
        try
        {
            await new ServerRollout(this, deployment, app, server, from, deployment.Request.Release).StageAsync(FarmRotation.StageFarmOf(app.Name), token).ConfigureAwait(false);
            await PhaseAsync(deployment, server.Name, DeploymentPhase.Staged).ConfigureAwait(false);
            return null;
        }
        catch (RolloutFailure failure)
        {
            await PhaseAsync(deployment, server.Name, DeploymentPhase.Failed, null, $"{failure.Phase}: {failure.Message}", OutputOf(server.Name, app.Name)).ConfigureAwait(false);
            return $"{server.Name} failed in phase {failure.Phase}: {failure.Message}";
        }
    }

    /// <summary>A stage that failed: every staged instance stops and the stage's routes go.</summary>
    private async Task UndoStageAsync(string app)
    {
        Catalog.Releases.ClearStaged(app);
        Rotation.SetStage(app, null);
        await RemoveStageRoutesAsync(app).ConfigureAwait(false);
    }

    /// <summary>
    /// Applies the apps' configuration without the app's stage. It never throws: the configuration without the stage is
    /// the one that was valid before it, and a caller (a deployment starting, a stage failing) must go on regardless.
    /// </summary>
    private async Task RemoveStageRoutesAsync(string app)
    {
        try
        {
            await Catalog.ReapplyAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Could not remove the stage routes of {App}", app);
        }
    }

    private async Task ApplyStageRoutesAsync()
    {
        try
        {
            await Catalog.ReapplyAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (ConfigException ex)
        {
            throw new ApiException(409, $"the balancer refuses the stage's routes: {ex.Message}");
        }
    }
}
