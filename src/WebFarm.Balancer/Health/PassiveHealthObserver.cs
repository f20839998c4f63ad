using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Health;

/// <summary>
/// Passive (live-traffic) health for one farm. The forwarder reports each attempt; MaxFailures failures (a status
/// in FailureStatus, or a transport failure) within Window take the server out of rotation through the sink.
/// It always comes back by itself: through the active check when the server has one, otherwise after
/// ReactivationPeriod — unlike ARR, which never brought a live-traffic casualty back.
/// Hot path: a successful response costs one bit test; a failure, a dictionary lookup and two Interlocked ops.
/// </summary>
public sealed partial class PassiveHealthObserver : IPassiveHealthObserver, IDisposable
{
    private readonly PassiveHealthOptions _settings;
    private readonly StatusCodeSet? _failureStatus;
    private readonly IHealthStateSink _sink;
    private readonly Func<ServerRuntime, bool> _hasActiveCheck;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly long _windowTicks;
    private readonly ConcurrentDictionary<ServerRuntime, PassiveServerHealth> _servers = new(ReferenceEqualityComparer.Instance);
    private volatile bool _disposed;

    /// <param name="hasActiveCheck">True for servers that an active check brings back; null when none has one.</param>
    public PassiveHealthObserver(
        PassiveHealthOptions settings,
        IHealthStateSink sink,
        Func<ServerRuntime, bool>? hasActiveCheck = null,
        TimeProvider? time = null,
        ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.MaxFailures, 1, nameof(settings));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(settings.Window, TimeSpan.Zero, nameof(settings));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(settings.ReactivationPeriod, TimeSpan.Zero, nameof(settings));

        _settings = settings;
        _failureStatus = settings.FailureStatus;
        _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        _hasActiveCheck = hasActiveCheck ?? (static _ => false);
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _windowTicks = (long)(settings.Window.TotalSeconds * _time.TimestampFrequency);
    }

    public PassiveHealthOptions Settings => _settings;

    public void OnResponse(ServerRuntime server, int statusCode)
    {
        if (_failureStatus is { } failures && failures.Contains(statusCode))
        {
            RecordFailure(server, statusCode, null);
        }
    }

    public void OnTransportFailure(ServerRuntime server, Exception? error) => RecordFailure(server, 0, error);

    private void RecordFailure(ServerRuntime server, int statusCode, Exception? error)
    {
        // An unhealthy server is already out; failures it gets in panic mode must not re-trip it.
        if (_disposed || !server.Healthy)
        {
            return;
        }

        var state = _servers.GetOrAdd(server, static (_, max) => new PassiveServerHealth(max), _settings.MaxFailures);
        if (!state.RecordFailure(_time.GetTimestamp(), _windowTicks) || !state.TryBeginTrip())
        {
            return;
        }

        try
        {
            if (!server.Healthy)
            {
                return;
            }

            var last = statusCode != 0 ? "status " + statusCode : HealthProbe.Describe(error);
            var reason = $"{_settings.MaxFailures} failure(s) in live traffic within {DurationParser.Format(_settings.Window)} (last: {last})";
            Log.LeavesRotation(_logger, server.Name, server.Farm, reason);
            state.Reset();
            SetHealth(server, false, reason);
            if (!_hasActiveCheck(server))
            {
                ScheduleReactivation(server, state);
            }
        }
        finally
        {
            state.EndTrip();
        }
    }

    private void ScheduleReactivation(ServerRuntime server, PassiveServerHealth state)
    {
        var period = _settings.ReactivationPeriod;
        var timer = _time.CreateTimer(
            static s =>
            {
                var (observer, server, state) = ((PassiveHealthObserver, ServerRuntime, PassiveServerHealth))s!;
                observer.Reactivate(server, state);
            },
            (this, server, state),
            period,
            Timeout.InfiniteTimeSpan);
        Interlocked.Exchange(ref state.Reactivation, timer)?.Dispose();
    }

    private void Reactivate(ServerRuntime server, PassiveServerHealth state)
    {
        Interlocked.Exchange(ref state.Reactivation, null)?.Dispose();
        // Runs even after Dispose (a reload replaced this observer): a server taken out must always come back.
        if (server.Healthy)
        {
            return;
        }

        state.Reset();
        SetHealth(server, true, $"reactivated after {DurationParser.Format(_settings.ReactivationPeriod)} out of rotation (no active health check)");
    }

    private void SetHealth(ServerRuntime server, bool healthy, string reason)
    {
        try
        {
            _sink.SetHealth(server, healthy, reason);
        }
        catch (Exception ex)
        {
            // The server may have been removed by a reload meanwhile; never let this reach the request path.
            Log.HealthNotRecorded(_logger, server.Name, server.Farm, ex);
        }
    }

    /// <summary>
    /// Stops counting. Pending reactivations still fire: disposing (on a reload) must not leave a server
    /// out of rotation forever.
    /// </summary>
    public void Dispose() => _disposed = true;
}
