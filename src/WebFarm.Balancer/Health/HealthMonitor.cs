using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Health;

/// <summary>
/// Active health checks for one farm: one probe loop per server, each on its own interval with jitter (so a farm's
/// checks do not arrive in bursts), reporting transitions to the <see cref="IHealthStateSink"/>.
/// The host starts and stops it; a config reload calls <see cref="Update"/>, which starts loops for new servers,
/// stops those of removed ones and swaps the settings of the others without losing their rise/fall counts.
/// </summary>
public sealed partial class HealthMonitor : IAsyncDisposable
{
    private readonly string _farm;
    private readonly IHealthStateSink _sink;
    private readonly HealthProbe _probe;
    private readonly bool _ownsProbe;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<ServerRuntime, ServerCheckLoop> _loops = new(ReferenceEqualityComparer.Instance);
    private CancellationTokenSource? _running;
    private bool _disposed;

    public HealthMonitor(string farm, IHealthStateSink sink, HealthProbe? probe = null, ILogger? logger = null, TimeProvider? time = null)
        : this(farm, sink, probe, logger, time, trust: null)
    {
    }

    /// <param name="trust">The farm's rule for https servers' certificates (for the probe this monitor makes; null: system roots).</param>
    internal HealthMonitor(string farm, IHealthStateSink sink, HealthProbe? probe, ILogger? logger, TimeProvider? time, Func<Tls.UpstreamTls>? trust)
    {
        _farm = farm;
        _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        _ownsProbe = probe is null;
        _time = time ?? TimeProvider.System;
        _probe = probe ?? new HealthProbe(_time, trust);
        _logger = logger ?? NullLogger.Instance;
    }

    public string Farm => _farm;

    public bool IsRunning
    {
        get
        {
            lock (_lock)
            {
                return _running is not null;
            }
        }
    }

    /// <summary>The servers currently checked.</summary>
    public IReadOnlyList<ServerRuntime> Servers
    {
        get
        {
            lock (_lock)
            {
                return [.. _loops.Keys];
            }
        }
    }

    /// <summary>Replaces the set of checked servers and their settings (a config reload).</summary>
    public void Update(IReadOnlyList<HealthCheckTarget> targets)
    {
        ArgumentNullException.ThrowIfNull(targets);

        List<ServerCheckLoop> stopped = [];
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var keep = new HashSet<ServerRuntime>(ReferenceEqualityComparer.Instance);
            foreach (var target in targets)
            {
                keep.Add(target.Server);
                if (_loops.TryGetValue(target.Server, out var loop))
                {
                    loop.Settings = target.Settings;
                }
                else
                {
                    loop = new ServerCheckLoop(target.Server, target.Settings);
                    _loops.Add(target.Server, loop);
                    if (_running is not null)
                    {
                        loop.Start(this, _running.Token);
                    }
                }
            }

            foreach (var (server, loop) in _loops)
            {
                if (!keep.Contains(server))
                {
                    stopped.Add(loop);
                }
            }

            foreach (var loop in stopped)
            {
                _loops.Remove(loop.Server);
            }
        }

        foreach (var loop in stopped)
        {
            loop.Cancel();
            loop.Server.LastHealthCheck = null;
            // A server this check took out must not stay out once nothing checks it any more (the check was removed
            // from the config): without a check it is assumed healthy, like a server that never had one.
            if (loop.MarkedUnhealthy && !loop.Server.Healthy)
            {
                Report(loop.Server, healthy: true, "its active health check was removed from the configuration");
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_running is null)
            {
                _running = new CancellationTokenSource();
                foreach (var loop in _loops.Values)
                {
                    loop.Start(this, _running.Token);
                }
            }
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        CancellationTokenSource? running;
        Task[] tasks;
        lock (_lock)
        {
            running = _running;
            _running = null;
            tasks = [.. _loops.Values.Select(l => l.Task)];
        }

        if (running is null)
        {
            return;
        }

        await running.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(tasks).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            running.Dispose();
        }
    }

    /// <summary>The last periodic check of <paramref name="server"/>, or null before the first one.</summary>
    public HealthProbeResult? GetLastResult(ServerRuntime server)
    {
        lock (_lock)
        {
            return _loops.TryGetValue(server, out var loop) ? loop.LastResult : null;
        }
    }

    /// <summary>The settings that apply to <paramref name="server"/>, or null when it is not checked.</summary>
    public HealthCheckOptions? GetSettings(ServerRuntime server)
    {
        lock (_lock)
        {
            return _loops.TryGetValue(server, out var loop) ? loop.Settings : null;
        }
    }

    /// <summary>
    /// "Verify now": one probe with the server's settings (or <paramref name="fallback"/> when it is not checked),
    /// outside the rise/fall counting, so a test from an operator never changes the server's health.
    /// </summary>
    public Task<HealthProbeResult> VerifyAsync(ServerRuntime server, HealthCheckOptions? fallback = null, CancellationToken cancellationToken = default)
    {
        var settings = GetSettings(server) ?? fallback ?? new HealthCheckOptions();
        return _probe.ProbeAsync(server, settings, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        lock (_lock)
        {
            _disposed = true;
            _loops.Clear();
        }

        if (_ownsProbe)
        {
            _probe.Dispose();
        }
    }

    private async Task RunAsync(ServerCheckLoop loop, CancellationToken cancellationToken)
    {
        var tracker = new HealthCheckTracker(loop.Server.Healthy);
        // Start at a random point of the first interval, so a farm's checks are spread out from the start.
        var delay = loop.Settings.Interval * (Random.Shared.NextDouble() * 0.5);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                var settings = loop.Settings;
                var began = _time.GetTimestamp();
                var result = await _probe.ProbeAsync(loop.Server, settings, cancellationToken).ConfigureAwait(false);
                loop.LastResult = result;
                var server = loop.Server;
                server.LastHealthCheck = result;
                if (tracker.Observe(result.Healthy, server.Healthy, settings.Rise, settings.Fall) is { } healthy)
                {
                    // Name what was checked: "status 500" alone does not say which endpoint said so.
                    var reason = healthy
                        ? $"health check passed {settings.Rise} time(s) in a row (GET {settings.Path}: {result.Reason})"
                        : $"health check failed {settings.Fall} time(s) in a row (GET {settings.Path}: {result.Reason})";
                    loop.MarkedUnhealthy = !healthy;
                    Report(server, healthy, reason);
                }

                // Keep the cadence: the probe's own duration counts toward the next interval, with ±10% jitter.
                var interval = settings.Interval * (0.9 + (Random.Shared.NextDouble() * 0.2));
                delay = interval - _time.GetElapsedTime(began);
                if (delay < TimeSpan.Zero)
                {
                    delay = TimeSpan.Zero;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A probe never throws for a sick server; this is a bug, and the loop must survive it.
                Log.LoopFailed(_logger, loop.Server.Name, _farm, ex);
                delay = loop.Settings.Interval;
            }
        }
    }

    private void Report(ServerRuntime server, bool healthy, string reason)
    {
        Log.HealthReported(_logger, server.Name, _farm, healthy ? "healthy" : "unhealthy", reason);
        try
        {
            _sink.SetHealth(server, healthy, reason);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The server may have been removed by a reload between the probe and now.
            Log.HealthNotRecorded(_logger, server.Name, _farm, ex);
        }
    }

    /// <summary>One server's loop: its current settings and last result are swapped atomically (reference writes).</summary>
    private sealed class ServerCheckLoop(ServerRuntime server, HealthCheckOptions settings)
    {
        private volatile HealthCheckOptions _settings = settings;
        private volatile HealthProbeResult? _lastResult;
        private volatile bool _markedUnhealthy;
        private CancellationTokenSource? _cancel;

        public ServerRuntime Server { get; } = server;

        public HealthCheckOptions Settings
        {
            get => _settings;
            set => _settings = value;
        }

        public HealthProbeResult? LastResult
        {
            get => _lastResult;
            set => _lastResult = value;
        }

        /// <summary>True while the last transition this loop reported was "unhealthy".</summary>
        public bool MarkedUnhealthy
        {
            get => _markedUnhealthy;
            set => _markedUnhealthy = value;
        }

        public Task Task { get; private set; } = Task.CompletedTask;

        public void Start(HealthMonitor monitor, CancellationToken running)
        {
            _cancel = CancellationTokenSource.CreateLinkedTokenSource(running);
            var token = _cancel.Token;
            Task = Task.Run(() => monitor.RunAsync(this, token), CancellationToken.None);
        }

        public void Cancel() => _cancel?.Cancel();
    }
}
