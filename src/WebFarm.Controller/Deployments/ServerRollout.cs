using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using WebFarm.Agent.Control;
using WebFarm.Agent.Readiness;
using WebFarm.Agent.Releases;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Events;
using WebFarm.Controller.Agents;
using WebFarm.Controller.Apps;
using WebFarm.Controller.Rotation;

namespace WebFarm.Controller.Deployments;

/// <summary>
/// One server's turn in a deployment, one method per phase (in the manner of kamal-proxy's target draining):
/// <see cref="InstallAsync"/> → <see cref="StartAsync"/> → <see cref="GateAsync"/> → <see cref="DrainOldAsync"/> →
/// <see cref="StopOldAsync"/> → <see cref="SwapAsync"/>. The new release's instance starts beside the old one on a
/// fresh port of the range; once it passes the health gate it enters the app's farm as its own entry
/// (<c>SERVER.next</c>) and the old instance (the entry <c>SERVER</c>) is drained, then stopped; finally the server's
/// own entry takes the new instance and the temporary one is drained and removed, so the server keeps its name in the
/// farm (availability, `ps`, restarts) and no request meets a stopped instance. The in-place strategy drains and stops
/// first, then starts and gates. The server is held (the heartbeat leaves its rotation alone) while it runs.
/// A phase that cannot complete throws <see cref="RolloutFailure"/>.
/// </summary>
internal sealed class ServerRollout(DeploymentEngine engine, Deployment deployment, AppDefinition app, TrackedServer server, long? from, long to)
{
    private readonly ReleasePlacement _placement = engine.Catalog.Releases;
    private readonly FarmRotation _rotation = engine.Rotation;
    private DateTimeOffset _healthStarted = engine.Time.GetUtcNow();
    private bool _staging;

    private string TempEntry => TempEntryName(server.Name);

    /// <summary>
    /// The farm entry of a server's new instance during its swap: <c>SERVER.next</c>, or, when that would pass the
    /// balancer's name limit (a server name of 60 characters or more), the name cut short with 8 hex digits of its
    /// SHA-256 so that two long names sharing their start still get distinct entries.
    /// </summary>
    internal static string TempEntryName(string server)
    {
        const string Suffix = ".next";
        if (server.Length + Suffix.Length <= ConfigValidator.MaxNameLength)
        {
            return server + Suffix;
        }

        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(server)), 0, 4).ToLowerInvariant();
        return string.Concat(server.AsSpan(0, ConfigValidator.MaxNameLength - Suffix.Length - hash.Length - 1), "-", hash, Suffix);
    }

    /// <summary>Rolls the server from <c>from</c> (null: nothing ran) to <c>to</c>; its phases are recorded as it goes.</summary>
    /// <returns>Null when the new instance is in rotation; else why it is not ready (a first deployment whose instance runs
    /// but did not pass its gate: it stays out of rotation, supervised, and the balancer's checks bring it in).</returns>
    /// <exception cref="RolloutFailure">The server stays on (or returns to) <c>from</c>, unless it failed after its swap.</exception>
    public async Task<string?> RunAsync(CancellationToken cancellationToken)
    {
        lock (server.Lock)
        {
            server.Held.Add(app.Name); // The heartbeat must not put either instance in or out while this runs.
        }

        var inPlace = deployment.Request.Strategy == DeploymentKind.InPlace;
        var swapped = false;
        try
        {
            await InstallAsync(cancellationToken).ConfigureAwait(false);
            if (inPlace && from is not null)
            {
                await DrainOldAsync(cancellationToken).ConfigureAwait(false);
                swapped = true;
                await StopOldAsync(cancellationToken).ConfigureAwait(false);
                var report = await StartAsync(cancellationToken).ConfigureAwait(false);
                var address = InstanceRotation.AddressOf(server.Address, report.Port);
                await GateAsync(address, cancellationToken).ConfigureAwait(false);
                await BringInAsync(server.Name, address, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var report = await StartAsync(cancellationToken).ConfigureAwait(false);
                var address = InstanceRotation.AddressOf(server.Address, report.Port);
                await GateAsync(address, cancellationToken).ConfigureAwait(false);
                if (from is null)
                {
                    await BringInAsync(server.Name, address, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await BringInAsync(TempEntry, address, cancellationToken).ConfigureAwait(false);
                    swapped = true;
                    await DrainOldAsync(cancellationToken).ConfigureAwait(false);
                    await StopOldAsync(cancellationToken).ConfigureAwait(false);
                    await SwapAsync(address, cancellationToken).ConfigureAwait(false);
                }
            }

            lock (server.Lock)
            {
                server.InRotation.Add(app.Name);
            }

            return null;
        }
        catch (RolloutFailure failure) when (IsFirstDeployment && failure.Phase == DeploymentPhase.Gating && Instance(to) is { ProcessId: not null, Port: > 0 } running)
        {
            LeaveNotReady(InstanceRotation.AddressOf(server.Address, running.Port), failure.Message);
            return failure.Message;
        }
        catch (RolloutFailure) when (!swapped || inPlace)
        {
            // Rolling, before the swap: the old instance never left rotation, the server simply stays on it. In place:
            // the old release starts again and the heartbeat brings it back in once healthy.
            StayOnPrevious();
            throw;
        }
        finally
        {
            lock (server.Lock)
            {
                server.Held.Remove(app.Name); // From now on the heartbeat keeps the serving release's instance in rotation.
            }
        }
    }

    /// <summary>
    /// Stages <c>to</c> on the server (`webfarm deploy --stage`): installing → starting (beside the serving instance,
    /// which is left alone) → gating → in <paramref name="stageFarm"/>, which only the stage's routes reach. The server
    /// is not held: its serving instance stays the heartbeat's to keep in rotation.
    /// </summary>
    /// <exception cref="RolloutFailure">The staged instance is stopped; the serving one never changed.</exception>
    public async Task StageAsync(string stageFarm, CancellationToken cancellationToken)
    {
        _staging = true;
        try
        {
            await InstallAsync(cancellationToken).ConfigureAwait(false);
            var report = await StartAsync(cancellationToken).ConfigureAwait(false);
            var address = InstanceRotation.AddressOf(server.Address, report.Port);
            await GateAsync(address, cancellationToken).ConfigureAwait(false);
            await BringInAsync(stageFarm, server.Name, address, cancellationToken).ConfigureAwait(false);
        }
        catch (RolloutFailure)
        {
            _placement.ClearStaged(app.Name, server.Name);
            throw;
        }
    }

    /// <summary>
    /// No release of the app ran on this server nor anywhere before this deployment: there is no serving instance to
    /// protect, so an instance that runs but fails its gate is left running out of rotation rather than stopped (a
    /// production farm's first start with one bad server still serves from the others).
    /// </summary>
    private bool IsFirstDeployment => from is null && deployment.Record.PreviousRelease is null && deployment.Request.Kind == DeploymentKind.Deploy && !_staging;

    /// <summary>
    /// A first deployment's instance that runs but failed its gate: it stays placed (its agent keeps supervising it) and
    /// enters the app's farm unhealthy with the reason (added so, never in rotation in between; external balancers add it
    /// so too), so the balancer's own checks show it failing and bring it into rotation once it passes. It is not counted in rotation (`ps`, the dashboard say "no") until its agent reports
    /// it healthy: then the heartbeat takes it in as any instance (<see cref="InstanceRotation.Observe"/>), on the port it
    /// runs on by then.
    /// </summary>
    private void LeaveNotReady(string address, string reason)
    {
        _rotation.BringIn(app.Name, server.Name, address, unhealthy: $"not ready at its first deployment: {reason}");
    }

    /// <summary>Installing: the agent reports the release installed (it fetched it when it was uploaded, or holds it).</summary>
    private async Task InstallAsync(CancellationToken cancellationToken)
    {
        await engine.PhaseAsync(deployment, server.Name, DeploymentPhase.Installing).ConfigureAwait(false);
        var installed = await RotationWait.UntilAsync(
            () =>
            {
                ThrowIfLost(DeploymentPhase.Installing);
                var placement = engine.Releases.PlacementOf(TreeInstaller.ReleaseKind, app.Name, to);
                if (placement.RefusedBy.TryGetValue(server.Name, out var reason))
                {
                    throw new RolloutFailure(DeploymentPhase.Installing, $"its agent refused release {to}: {reason}");
                }

                return placement.InstalledOn.Contains(server.Name) ? placement : null;
            },
            engine.InstallTimeout,
            cancellationToken).ConfigureAwait(false);
        if (installed is null)
        {
            throw new RolloutFailure(DeploymentPhase.Installing, $"its agent did not report release {to} installed within {Seconds(engine.InstallTimeout)}");
        }
    }

    /// <summary>Starting: the agent runs the new release (beside the old one on a fresh port, or alone in place).</summary>
    private async Task<InstanceReport> StartAsync(CancellationToken cancellationToken)
    {
        await engine.PhaseAsync(deployment, server.Name, DeploymentPhase.Starting).ConfigureAwait(false);
        _healthStarted = engine.Time.GetUtcNow(); // The health timeout covers starting and the gate.
        var inPlace = deployment.Request.Strategy == DeploymentKind.InPlace || from is null;
        if (_staging)
        {
            _placement.SetStaged(app.Name, server.Name, to);
        }
        else
        {
            _placement.Set(app.Name, server.Name, inPlace ? new ServerReleases(to, null) : new ServerReleases(from!.Value, to));
        }

        var report = await RotationWait.UntilAsync(
            () =>
            {
                ThrowIfLost(DeploymentPhase.Starting);
                var instance = Instance(to);
                return instance is { ProcessId: not null, Port: > 0 } ? instance : null;
            },
            RemainingHealthTime(),
            cancellationToken).ConfigureAwait(false);
        return report ?? throw new RolloutFailure(DeploymentPhase.Starting, $"release {to} did not start within {Seconds(deployment.Request.HealthTimeout)}: {Instance(to)?.Detail ?? "its agent reports no instance of it"}");
    }

    /// <summary>
    /// Gating: the app's health path must pass <see cref="GatePasses"/> times in a row within the health timeout; with
    /// the request's <see cref="DeploymentRequest.FailingGrace"/>, an instance that answers but keeps failing for that
    /// long fails the gate sooner (an instance that has not answered yet keeps the whole health timeout to start).
    /// </summary>
    private async Task GateAsync(string address, CancellationToken cancellationToken)
    {
        await engine.PhaseAsync(deployment, server.Name, DeploymentPhase.Gating).ConfigureAwait(false);
        var passes = 0;
        var last = "not probed yet";
        DateTimeOffset? failingSince = null;
        while (true)
        {
            ThrowIfLost(DeploymentPhase.Gating);
            if (RemainingHealthTime() <= TimeSpan.Zero)
            {
                throw new RolloutFailure(DeploymentPhase.Gating, string.Create(CultureInfo.InvariantCulture, $"release {to} on {address} did not pass {app.HealthPath} {GatePasses} times in a row within {Seconds(deployment.Request.HealthTimeout)} (last: {last})"));
            }

            var result = await _rotation.ProbeAsync(app.Name, address, cancellationToken).ConfigureAwait(false);
            last = result.Reason;
            passes = result.Healthy ? passes + 1 : 0;
            failingSince = result.Healthy || result.StatusCode is null ? null : failingSince ?? engine.Time.GetUtcNow();
            if (failingSince is { } since && deployment.Request.FailingGrace is { } grace && engine.Time.GetUtcNow() - since >= grace)
            {
                throw new RolloutFailure(DeploymentPhase.Gating, InstanceReadiness.DescribeFailing(app.HealthPath, result, grace));
            }

            if (passes >= GatePasses)
            {
                // Said in the event stream, so the gate an operator asked for (--health-passes) can be seen at work.
                engine.Publish(app.Name, server.Name, EventKind.ServerUpdated, string.Create(CultureInfo.InvariantCulture, $"deployment {deployment.Record.Id} of {app.Name}: {server.Name} gate passed: release {to} on {address} passed {app.HealthPath} {passes} time(s) in a row"));
                return;
            }

            await Task.Delay(engine.GateInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Puts an instance in the app's farm under <paramref name="entry"/> and waits until the balancer takes it.</summary>
    private Task BringInAsync(string entry, string address, CancellationToken cancellationToken) => BringInAsync(app.Name, entry, address, cancellationToken);

    /// <summary>Puts an instance in <paramref name="farm"/> under <paramref name="entry"/> and waits until the balancer takes it.</summary>
    private async Task BringInAsync(string farm, string entry, string address, CancellationToken cancellationToken)
    {
        _rotation.BringIn(farm, entry, address);
        var available = await RotationWait.UntilAsync(
            () => _rotation.Runtime.GetFarm(farm).FindServer(entry) is { IsAvailable: true } s ? s : null,
            deployment.Request.HealthTimeout,
            cancellationToken).ConfigureAwait(false);
        if (available is null)
        {
            throw new RolloutFailure(DeploymentPhase.Gating, $"the balancer did not take {address} into rotation within {Seconds(deployment.Request.HealthTimeout)} (its own health check fails)");
        }
    }

    /// <summary>Draining: the old instance takes no new requests; those in flight finish (up to the drain timeout).</summary>
    private async Task DrainOldAsync(CancellationToken cancellationToken)
    {
        await engine.PhaseAsync(deployment, server.Name, DeploymentPhase.Draining).ConfigureAwait(false);
        lock (server.Lock)
        {
            server.InRotation.Remove(app.Name);
        }

        await _rotation.DrainAsync(app.Name, server.Name, DrainTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stopping: the agent stops the old instance (SIGTERM, SIGKILL after its grace period); the server now serves the new release.</summary>
    private async Task StopOldAsync(CancellationToken cancellationToken)
    {
        _placement.Set(app.Name, server.Name, new ServerReleases(to, null));
        await engine.PhaseAsync(deployment, server.Name, DeploymentPhase.Stopping, release: to).ConfigureAwait(false);
        var stopped = await RotationWait.UntilAsync(
            () =>
            {
                ThrowIfLost(DeploymentPhase.Stopping);
                return Instance(from!.Value) is null ? this : null;
            },
            engine.StopTimeout,
            cancellationToken).ConfigureAwait(false);
        if (stopped is null)
        {
            throw new RolloutFailure(DeploymentPhase.Stopping, $"its agent still reports release {from} running {Seconds(engine.StopTimeout)} after it was asked to stop it");
        }
    }

    /// <summary>Swapping: the server's own entry takes the new instance; the temporary entry is drained and removed.</summary>
    private async Task SwapAsync(string address, CancellationToken cancellationToken)
    {
        await engine.PhaseAsync(deployment, server.Name, DeploymentPhase.Swapping).ConfigureAwait(false);
        await BringInAsync(server.Name, address, cancellationToken).ConfigureAwait(false);
        await _rotation.DrainAsync(app.Name, TempEntry, DrainTimeout, cancellationToken).ConfigureAwait(false);
        if (_rotation.Runtime.GetFarm(app.Name).FindServer(TempEntry) is not null)
        {
            _rotation.Runtime.RemoveServer(app.Name, TempEntry);
        }
    }

    /// <summary>A failure before the swap: the agent stops the new instance; the old one (never out of rotation) serves on.</summary>
    private void StayOnPrevious()
    {
        if (from is { } previous)
        {
            _placement.Set(app.Name, server.Name, new ServerReleases(previous, null));
        }
        else
        {
            _placement.Clear(app.Name, server.Name);
        }

        if (_rotation.Runtime.Farms.TryGetValue(app.Name, out var farm) && farm.FindServer(TempEntry) is not null)
        {
            _rotation.Runtime.RemoveServer(app.Name, TempEntry);
        }
    }

    private InstanceReport? Instance(long release)
    {
        lock (server.Lock)
        {
            foreach (var instance in server.Instances)
            {
                if (instance.App == app.Name && instance.Release == release)
                {
                    return instance;
                }
            }

            return null;
        }
    }

    private void ThrowIfLost(string phase)
    {
        lock (server.Lock)
        {
            if (server.State == AgentState.Lost)
            {
                throw new RolloutFailure(phase, $"its agent is lost ({server.Detail})");
            }
        }
    }

    /// <summary>The deployment's drain timeout (`--drain-timeout`), else the controller's.</summary>
    private TimeSpan DrainTimeout => deployment.Request.DrainTimeout ?? engine.DrainTimeout;

    /// <summary>The deployment's gate count (`--health-passes`), else the controller's.</summary>
    private int GatePasses => deployment.Request.HealthPasses ?? engine.GatePasses;

    private TimeSpan RemainingHealthTime() => deployment.Request.HealthTimeout - (engine.Time.GetUtcNow() - _healthStarted);

    private static string Seconds(TimeSpan span) => string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.#} s");
}
