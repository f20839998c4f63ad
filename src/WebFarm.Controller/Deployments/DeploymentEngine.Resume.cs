using System.Globalization;
using WebFarm.Agent.Releases;
using WebFarm.Balancer.Events;
using WebFarm.Controller.Agents;
using WebFarm.Controller.Apps;
using WebFarm.Controller.Rotation;

namespace WebFarm.Controller.Deployments;

/// <summary>
/// Resuming the deployment a previous leader left running (its controller was killed, restarted or handed over to its
/// standby). What the store says of each server decides: <c>done</c> stays done; a server past its <c>stopping</c>
/// phase serves the new release (its heartbeat puts the new instance in rotation, its agent stops the old one); a server
/// before it serves the old release (the heartbeat puts that back in rotation) and its turn starts again, the new
/// instance kept running beside it; <c>waiting</c> servers roll in their batches as before. So every server has exactly
/// one of its instances in rotation before anything moves, never none.
/// </summary>
public sealed partial class DeploymentEngine
{
    /// <summary>How long a resumed deployment waits for every server to be back in rotation (or lost) before it goes on.</summary>
    public TimeSpan ResumeTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Phases in which a server's turn was under way.</summary>
    private static bool IsMidTurn(string phase) => phase is DeploymentPhase.Installing or DeploymentPhase.Starting or DeploymentPhase.Gating or DeploymentPhase.Draining or DeploymentPhase.Stopping or DeploymentPhase.Swapping;

    /// <summary>Why a deployment left running cannot be resumed (null: it can).</summary>
    private async Task<string?> WhyNotResumable(DeploymentRecord record, CancellationToken cancellationToken)
    {
        if (record.Kind == DeploymentKind.Stage)
        {
            // Stages live in the leader's memory (docs/deployments.md): a restart ends them, half-staged or not.
            return "a stage is not resumed; stage the release again";
        }

        foreach (var server in record.Servers)
        {
            if (server.Phase is DeploymentPhase.Failed or DeploymentPhase.RolledBack)
            {
                // Its batch was ending in failure (or rolling back): what the operator asked for cannot be finished.
                return $"{server.Server} had already {(server.Phase == DeploymentPhase.Failed ? "failed" : "been rolled back")}";
            }
        }

        var releases = await Releases.ListAsync(TreeInstaller.ReleaseKind, record.App, cancellationToken).ConfigureAwait(false);
        return releases.Exists(r => r.Id == record.Release) ? null : string.Create(CultureInfo.InvariantCulture, $"release {record.Release} is no longer kept");
    }

    /// <summary>The fallback: the deployment is marked failed, each server keeps the release it served.</summary>
    private async Task<DeploymentRecord> MarkInterruptedAsync(DeploymentRecord record, string why, CancellationToken cancellationToken)
    {
        record = Interrupted(record, why, Time.GetUtcNow());
        await _store.SaveDeploymentAsync(record, cancellationToken).ConfigureAwait(false);
        Publish(record.App, null, EventKind.DeployFailed, $"deployment {record.Id} of {record.App} (release {record.Release}) failed: {record.Error}");
        return record;
    }

    private static DeploymentRecord Interrupted(DeploymentRecord record, string why, DateTimeOffset now)
    {
        var servers = record.Servers.Select(s => IsMidTurn(s.Phase)
            ? s with { Phase = DeploymentPhase.Failed, PhaseSince = now, Error = $"interrupted in phase {s.Phase}: the controller stopped or leadership moved" }
            : s).ToList();
        return record with
        {
            State = DeploymentState.Failed,
            FinishedAt = now,
            Error = $"the controller stopped (or leadership moved) during the deployment and it could not be resumed: {why}; each server keeps the release it served",
            Servers = servers,
        };
    }

    /// <summary>Takes the deployment over as this leader's own (one per app; `GET /api/deployments/{id}` shows it live).</summary>
    private void Resume(DeploymentRecord record, AppDefinition app)
    {
        var request = new DeploymentRequest(record.App, record.Release, record.Strategy, new BatchSize(record.Batch, false), record.HealthTimeout ?? DeploymentRequestReader.DefaultHealthTimeout, record.AutoRollback, record.Kind)
        {
            DrainTimeout = record.DrainTimeout ?? DrainTimeout,
            HealthPasses = record.HealthPasses ?? GatePasses,
        };
        var deployment = new Deployment(record, request);
        _running[app.Name] = deployment;
        Publish(app.Name, null, EventKind.DeployStarted, string.Create(CultureInfo.InvariantCulture, $"deployment {record.Id} of {app.Name} (release {record.Release}) resumed by the new leader: {string.Join(", ", record.Servers.Select(s => s.Server + " " + s.Phase))}"));
        _tasks[record.Id] = Task.Run(() => RunAsync(deployment, app, null));
    }

    /// <summary>
    /// Waits until every server of the resumed deployment is back in rotation on the release it serves (or its agent is
    /// lost), records the servers past their swap as done, and returns the servers still to roll, in order. Null when a
    /// server did not come back within <see cref="ResumeTimeout"/>: the deployment is then marked failed.
    /// </summary>
    private async Task<List<TrackedServer>?> ResumeServersAsync(Deployment deployment, AppDefinition app, List<(TrackedServer Server, long? From)> done, CancellationToken token)
    {
        var record = deployment.Record;
        var missing = string.Empty;
        var tracked = await RotationWait.UntilAsync(
            () =>
            {
                var list = new List<TrackedServer>(record.Servers.Count);
                foreach (var s in record.Servers)
                {
                    if (_registry.Find(s.Server) is not { } server)
                    {
                        missing = $"{s.Server} is no longer a server of the farm";
                        return null;
                    }

                    lock (server.Lock)
                    {
                        var back = server.State == AgentState.Lost || (s.Release is null ? server.HeartbeatSeen : server.InRotation.Contains(app.Name));
                        if (!back)
                        {
                            missing = $"{s.Server} did not come back into rotation on release {s.Release} within {ResumeTimeout.TotalSeconds:0} s ({server.Detail})";
                            return null;
                        }
                    }

                    list.Add(server);
                }

                return list;
            },
            ResumeTimeout,
            token).ConfigureAwait(false);
        if (tracked is null)
        {
            foreach (var s in record.Servers)
            {
                if (s.Release is { } serving)
                {
                    Catalog.Releases.Set(app.Name, s.Server, new ServerReleases(serving, null)); // The agents stop any new instance.
                }
            }

            deployment.Change(r => Interrupted(r, missing, Time.GetUtcNow()));
            await SaveAsync(deployment).ConfigureAwait(false);
            Publish(app.Name, null, EventKind.DeployFailed, $"deployment {record.Id} of {app.Name} failed: {deployment.Record.Error}");
            return null;
        }

        var roll = new List<TrackedServer>();
        for (var i = 0; i < record.Servers.Count; i++)
        {
            var s = record.Servers[i];
            if (s.Phase == DeploymentPhase.NotReady)
            {
                // A first deployment's server left out of rotation: still so, the balancer's checks bring it in.
                done.Add((tracked[i], record.PreviousRelease));
            }
            else if (s.Phase == DeploymentPhase.Done || s.Release == record.Release)
            {
                // Past its swap: the heartbeat has put the new release's instance in rotation as the server's own entry.
                if (s.Phase != DeploymentPhase.Done)
                {
                    await PhaseAsync(deployment, s.Server, DeploymentPhase.Done, release: record.Release).ConfigureAwait(false);
                }

                done.Add((tracked[i], record.PreviousRelease));
            }
            else
            {
                roll.Add(tracked[i]);
            }
        }

        return roll;
    }
}
