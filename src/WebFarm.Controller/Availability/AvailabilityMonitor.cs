using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Farms;
using WebFarm.Controller.Agents;
using WebFarm.Controller.Rotation;

namespace WebFarm.Controller.Availability;

/// <summary>
/// Samples the farm every <c>interval</c> (500 ms by default: intervals are exact to about that) and hands each
/// subject's status to the <see cref="AvailabilityRecorder"/>:
/// - a server is down while it is not in rotation: its agent lost or its health check failing (unscheduled), or
///   drained, offline or weighted 0 by an operator (scheduled);
/// - an app (a farm of the balancer) is down while none of its servers is in rotation; the farm ("farm") while no
///   server of any app is; either is scheduled only when every server out of rotation is out by an operator's hand.
/// A new leader starts sampling one heartbeat window after it took over: its balancer starts empty and fills as the
/// agents heartbeat, which is the takeover, not an outage of the farm.
/// </summary>
public sealed class AvailabilityMonitor : IAsyncDisposable
{
    /// <summary>The whole farm's subject name.</summary>
    public const string FarmSubject = "farm";

    private readonly AgentRegistry _agents;
    private readonly FarmRotation _rotation;
    private readonly AvailabilityRecorder _recorder;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _grace;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, SubjectStatus> _servers = new(StringComparer.Ordinal);
    private Task _loop = Task.CompletedTask;

    public AvailabilityMonitor(AgentRegistry agents, FarmRotation rotation, AvailabilityRecorder recorder, TimeSpan interval, TimeSpan grace, ILogger logger, TimeProvider? time = null)
    {
        _agents = agents;
        _rotation = rotation;
        _recorder = recorder;
        _interval = interval;
        _grace = grace;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _recorder.StartAsync(cancellationToken).ConfigureAwait(false);
        _loop = RunAsync();
    }

    /// <summary>One sample of every subject (the loop's step; tests call it directly).</summary>
    public async Task SampleAsync(CancellationToken cancellationToken)
    {
        _servers.Clear();
        foreach (var agent in _agents.List())
        {
            var status = ServerStatus(agent);
            _servers[agent.Name] = status;
            await _recorder.ObserveAsync(SubjectKind.Server, agent.Name, status, cancellationToken).ConfigureAwait(false);
        }

        var farmUp = false;
        var farmScheduled = true;
        var anyServer = false;
        foreach (var (name, farm) in _rotation.Runtime.Farms)
        {
            var (up, scheduled, any) = Summarize(farm);
            farmUp |= up;
            farmScheduled &= scheduled;
            anyServer |= any;
            await _recorder.ObserveAsync(SubjectKind.App, name, Group(up, scheduled, any), cancellationToken).ConfigureAwait(false);
        }

        await _recorder.ObserveAsync(SubjectKind.Farm, FarmSubject, Group(farmUp, farmScheduled, anyServer), cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try
        {
            await _recorder.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The store is unreachable (likely why this controller steps down); the next leader closes what is open.
            _logger.LogWarning("Could not close the open downtime intervals: {Reason}", ex.Message);
        }

        _stop.Dispose();
    }

    private static SubjectStatus Group(bool up, bool scheduled, bool any) => up
        ? SubjectStatus.Up
        : scheduled && any
            ? SubjectStatus.ScheduledDown("no server in rotation: all drained or offline by an operator")
            : SubjectStatus.UnscheduledDown(any ? "no server in rotation" : "no server");

    private SubjectStatus ServerStatus(AgentInfo agent)
    {
        switch (agent.State)
        {
            case AgentState.Lost:
                return SubjectStatus.UnscheduledDown("agent lost (no heartbeats)");
            case AgentState.Joined:
                return SubjectStatus.UnscheduledDown("not in rotation: waiting for its health check");
        }

        var draining = false;
        var offline = false;
        var unhealthy = false;
        var weightZero = false;
        foreach (var farm in _rotation.Runtime.Farms.Values)
        {
            if (farm.FindServer(agent.Name) is not { } server)
            {
                continue;
            }

            if (server.IsAvailable)
            {
                return SubjectStatus.Up;
            }

            draining |= server.State == ServerState.Draining;
            offline |= server.State == ServerState.Offline;
            unhealthy |= !server.Healthy;
            weightZero |= server.Weight == 0;
        }

        return draining ? SubjectStatus.ScheduledDown("draining (operator)")
            : offline ? SubjectStatus.ScheduledDown("offline (operator)")
            : unhealthy ? SubjectStatus.UnscheduledDown("failed health check")
            : weightZero ? SubjectStatus.ScheduledDown("weight 0 (operator)")
            : SubjectStatus.UnscheduledDown("not in rotation");
    }

    // Whether any server of the farm is in rotation; whether every server out of it is out by an operator's hand.
    private (bool Up, bool Scheduled, bool Any) Summarize(FarmRuntime farm)
    {
        var scheduled = true;
        foreach (var server in farm.Servers)
        {
            if (server.IsAvailable)
            {
                return (true, true, true);
            }

            scheduled &= _servers.TryGetValue(server.Name, out var status) && status.Scheduled;
        }

        return (false, scheduled, farm.Servers.Count > 0);
    }

    private async Task RunAsync()
    {
        try
        {
            await Task.Delay(_grace, _time, _stop.Token).ConfigureAwait(false);
            using var timer = new PeriodicTimer(_interval, _time);
            do
            {
                try
                {
                    await SampleAsync(_stop.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    _logger.LogWarning("Availability sample failed (retried next period): {Reason}", ex.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
