using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Health;

namespace WebFarm.Balancer.Farms;

/// <summary>
/// The active health monitors, one per farm that has checks, kept in step with the farms' views. Shares the
/// runtime's change lock: <see cref="Update"/> and <see cref="RemoveAllBut"/> are called with it held.
/// </summary>
internal sealed class HealthMonitorSet
{
    private readonly Dictionary<string, HealthMonitor> _monitors = new(StringComparer.Ordinal);
    private readonly object _changeLock;
    private readonly IHealthStateSink _sink;
    private readonly ILoggerFactory _loggerFactory;
    private bool _started;

    public HealthMonitorSet(object changeLock, IHealthStateSink sink, ILoggerFactory loggerFactory)
    {
        _changeLock = changeLock;
        _sink = sink;
        _loggerFactory = loggerFactory;
    }

    /// <summary>Starts every monitor; monitors created later start at once.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        List<HealthMonitor> monitors;
        lock (_changeLock)
        {
            _started = true;
            monitors = [.. _monitors.Values];
        }

        foreach (var monitor in monitors)
        {
            await monitor.StartAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public HealthMonitor? Find(string farm)
    {
        lock (_changeLock)
        {
            _monitors.TryGetValue(farm, out var monitor);
            return monitor;
        }
    }

    /// <summary>Gives the farm's monitor the servers of its current view (creating the monitor on first need).</summary>
    public void Update(FarmRuntime farm)
    {
        var options = farm.Options;
        var targets = new List<HealthCheckTarget>();
        foreach (var server in farm.View.Servers)
        {
            var settings = server.Options?.Health ?? options.Health;
            if (settings is not null)
            {
                targets.Add(new HealthCheckTarget(server, settings));
            }
        }

        _monitors.TryGetValue(farm.Name, out var monitor);
        if (monitor is null)
        {
            if (targets.Count == 0)
            {
                return;
            }

            monitor = new HealthMonitor(farm.Name, _sink, probe: null, _loggerFactory.CreateLogger("WebFarm.Health"), time: null, trust: () => farm.View.Transport.Tls);
            _monitors[farm.Name] = monitor;
            monitor.Update(targets);
            if (_started)
            {
                _ = monitor.StartAsync();
            }

            return;
        }

        monitor.Update(targets);
    }

    /// <summary>Stops the monitors of farms no longer configured.</summary>
    public void RemoveAllBut(IReadOnlyDictionary<string, FarmRuntime> farms)
    {
        foreach (var name in _monitors.Keys.ToList())
        {
            if (!farms.ContainsKey(name))
            {
                var monitor = _monitors[name];
                _monitors.Remove(name);
                _ = monitor.DisposeAsync().AsTask();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<HealthMonitor> monitors;
        lock (_changeLock)
        {
            monitors = [.. _monitors.Values];
            _monitors.Clear();
        }

        foreach (var monitor in monitors)
        {
            await monitor.DisposeAsync().ConfigureAwait(false);
        }
    }
}
