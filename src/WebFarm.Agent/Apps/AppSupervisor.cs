using System.Net;
using Microsoft.Extensions.Logging;
using WebFarm.Agent.Control;
using WebFarm.Agent.Releases;
using WebFarm.Agent.Supervision;
using WebFarm.Agent.Trace;
using WebFarm.Balancer.Health;

namespace WebFarm.Agent.Apps;

/// <summary>
/// Runs the apps the controller assigns to this agent: one <see cref="AppInstance"/> per app, or per app and release
/// (<see cref="DesiredApp.InstanceKey"/>: during a rolling deployment the old and the new release run side by side). The heartbeat hands
/// it the desired apps and their version (<see cref="Desire"/>); a background loop reconciles (starts what is
/// missing, stops what was removed, replaces an instance whose definition changed, restarts one whose restart
/// token is new), so that a slow stop never delays a heartbeat. Instances keep running whatever happens to the
/// controller: only a new desired list changes them.
/// </summary>
public sealed partial class AppSupervisor : IAsyncDisposable
{
    /// <summary>How often a failed placeholder (no free port) or an instance whose port was taken is retried without a new desired list.</summary>
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(5);

    private readonly string _serverName;
    private readonly IPAddress _bind;
    private readonly TraceRing _trace;
    private readonly ILogger _logger;
    private readonly TimeSpan _healthInterval;
    private readonly string _releasesDirectory;
    private readonly HealthProbe _probe = new();
    private readonly Dictionary<string, AppInstance> _running = new(StringComparer.Ordinal); // Only the loop touches it.
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private (string Version, IReadOnlyList<DesiredApp> Apps)? _desired;
    private volatile string? _appliedVersion;
    private volatile AppInstance[] _instances = [];

    /// <param name="bind">The address instances listen on (the agent's own address, reached by the balancer).</param>
    /// <param name="releasesDirectory">The agent's <c>releases/</c>: apps that run a release run it from there.</param>
    public AppSupervisor(string serverName, IPAddress bind, string releasesDirectory, TraceRing trace, ILogger logger, TimeSpan healthInterval)
    {
        _releasesDirectory = releasesDirectory;
        _serverName = serverName;
        _bind = bind;
        _trace = trace;
        _logger = logger;
        _healthInterval = healthInterval;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>The version of the desired apps the running instances match (null before the first).</summary>
    public string? AppliedVersion => _appliedVersion;

    /// <summary>Records what the controller wants; reconciled in the background (no-op when the version is applied).</summary>
    public void Desire(string version, IReadOnlyList<DesiredApp> apps)
    {
        lock (_wake)
        {
            if (_desired is { } current && current.Version == version)
            {
                return;
            }

            _desired = (version, apps);
        }

        Wake();
    }

    /// <summary>Every instance's state, port, pid, health and usage (sampled now).</summary>
    public IReadOnlyList<InstanceReport> Report()
    {
        // The loop owns the dictionary; it publishes the instance list it holds after every change.
        var reports = new List<InstanceReport>();
        foreach (var instance in _instances)
        {
            reports.Add(instance.Report());
        }

        return reports;
    }

    /// <summary>The releases the instances run (no usage sampling, unlike <see cref="Report"/>).</summary>
    public IEnumerable<TreeRef> RunningReleases()
    {
        foreach (var instance in _instances)
        {
            if (instance.App.Release is { } release)
            {
                yield return new TreeRef(instance.App.Name, release);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Task.WhenAll(_running.Values.Select(i => i.DisposeAsync().AsTask())).ConfigureAwait(false);
        _running.Clear();
        _probe.Dispose();
        _stop.Dispose();
    }

    private void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already woken: the loop reads the latest desired list.
        }
    }

    private async Task LoopAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(RetryInterval, token).ConfigureAwait(false);
                (string Version, IReadOnlyList<DesiredApp> Apps)? desired;
                lock (_wake)
                {
                    desired = _desired;
                }

                if (desired is { } target && (target.Version != _appliedVersion || _running.Values.Any(i => i.Failed || i.PortLost)))
                {
                    await ReconcileAsync(target.Apps, token).ConfigureAwait(false);
                    _appliedVersion = target.Version;
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // One bad reconcile must not end supervision: the next wake tries again.
                Log.ReconcileFailed(_logger, ex);
                _trace.Add("agent", $"reconciling the apps failed: {ex.Message}");
            }
        }
    }

    private async Task ReconcileAsync(IReadOnlyList<DesiredApp> apps, CancellationToken token)
    {
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var app in apps)
        {
            wanted.Add(app.InstanceKey);
        }

        foreach (var key in _running.Keys.Where(n => !wanted.Contains(n)).ToList())
        {
            _trace.Add("agent", $"app {key}: no longer wanted by the controller; stopping it");
            await StopAsync(key).ConfigureAwait(false);
        }

        foreach (var app in apps)
        {
            token.ThrowIfCancellationRequested();
            int? preferredPort = null;
            if (_running.TryGetValue(app.InstanceKey, out var current))
            {
                var sameDefinition = SameDefinition(current.App, app);
                var restartAsked = app.RestartToken is not null && app.RestartToken != current.RestartToken;
                var portLost = current.PortLost;
                if (sameDefinition && !restartAsked && !current.Failed && !portLost)
                {
                    continue;
                }

                var why = !sameDefinition ? "its definition changed" : restartAsked ? "restart requested" : portLost ? $"another process holds its port {current.Port}" : "retrying";
                _trace.Add("agent", $"app {app.InstanceKey}: {why}; replacing the instance");
                preferredPort = current.Port == 0 || portLost ? null : current.Port;
                await StopAsync(app.InstanceKey).ConfigureAwait(false);
            }

            // Taken: the ports of every other instance, so a new release starts beside the old one on a fresh port.
            var taken = new HashSet<int>(_running.Values.Select(i => i.Port));
            var instance = AppInstance.Start(app, app.RestartToken, _serverName, _bind, preferredPort, taken, _releasesDirectory, _trace, _probe, _healthInterval, OnInstanceChanged);
            _running[app.InstanceKey] = instance;
            Publish();
        }
    }

    private async Task StopAsync(string key)
    {
        // Reported (as stopping) until its process has exited, so `webfarm ps` never hides a process that still runs.
        await _running[key].DisposeAsync().ConfigureAwait(false);
        _running.Remove(key);
        Publish();
    }

    /// <summary>Every instance's state changes (from the supervision loops' threads), named after this server
    /// ("web1 running: pid 123 on port 20000"): `webfarm up` prints them as its own supervision did.</summary>
    public event Action<InstanceStateChange>? InstanceChanged;

    private void OnInstanceChanged(InstanceStateChange change) => InstanceChanged?.Invoke(change with { Instance = _serverName });

    private void Publish() => _instances = [.. _running.Values];

    /// <summary>Everything but the restart token (records compare lists and dictionaries by reference: compared by content).</summary>
    private static bool SameDefinition(DesiredApp a, DesiredApp b)
        => a.Name == b.Name && a.Command == b.Command && a.Release == b.Release && a.Entry == b.Entry && a.PortFrom == b.PortFrom && a.PortTo == b.PortTo && a.HealthPath == b.HealthPath && a.HealthStatus == b.HealthStatus
        && a.Arguments.SequenceEqual(b.Arguments, StringComparer.Ordinal)
        && a.Environment.Count == b.Environment.Count
        && a.Environment.All(p => b.Environment.TryGetValue(p.Key, out var v) && v == p.Value);
}
