using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Farms;
using WebFarm.Controller.Apps;

namespace WebFarm.Controller.Load;

/// <summary>
/// Turns measured load into the balancer's load factors (<see cref="ServerRuntime.LoadFactor"/>, the same
/// effective-weight scaling as slow start), once per <see cref="Tick"/>: for every app with `loadBalancing: reported`
/// the factors follow <see cref="LoadWeightRule"/>; for every other app they are 1. Only the caller's one loop calls
/// <see cref="Tick"/>, so its memory of each server needs no lock.
/// </summary>
public sealed class LoadWeights(BalancerRuntime runtime, Func<IReadOnlyList<AppDefinition>> apps, Func<string, double?> cpuOf) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    // Per (app, server): the response-time samples seen at the last tick and the latency then measured.
    private readonly Dictionary<(string App, string Server), (long Samples, double LatencyMs)> _seen = [];

    // The (app, server) pairs this tick measured: the memory of removed apps and servers is dropped after each tick.
    private readonly HashSet<(string App, string Server)> _current = [];
    private readonly List<(string App, string Server)> _gone = [];

    /// <summary>Ticks every <paramref name="interval"/> (1 s: the agents' heartbeat, so each tick sees new CPU figures) until disposed.</summary>
    public void Start(TimeSpan interval, ILogger logger)
        => _loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(interval);
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
                {
                    try
                    {
                        Tick();
                    }
                    catch (Exception ex) when (ex is ServerNotFoundException or FarmNotFoundException)
                    {
                        // A server or app removed during the tick: the next tick sees the new farm.
                    }
                    catch (Exception ex)
                    {
                        logger.LogError(ex, "Updating the load-driven weights failed; the factors stay as they were");
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Stopping.
            }
        });

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    /// <summary>One update of every app's farm.</summary>
    public void Tick()
    {
        _current.Clear();
        foreach (var app in apps())
        {
            if (!runtime.Farms.TryGetValue(app.Name, out var farm))
            {
                continue;
            }

            var servers = farm.View.Servers;
            if (!app.WeighsByLoad)
            {
                foreach (var server in servers)
                {
                    if (server.LoadFactor != 1)
                    {
                        runtime.SetLoadFactor(app.Name, server.Name, 1);
                    }

                    _seen.Remove((app.Name, server.Name));
                }

                continue;
            }

            Update(app.Name, servers);
        }

        _gone.Clear();
        foreach (var key in _seen.Keys)
        {
            if (!_current.Contains(key))
            {
                _gone.Add(key);
            }
        }

        foreach (var key in _gone)
        {
            _seen.Remove(key);
        }
    }

    /// <summary>How many servers it remembers a measurement of (for the tests: removed apps and servers are forgotten).</summary>
    internal int Remembered => _seen.Count;

    private void Update(string app, IReadOnlyList<ServerRuntime> servers)
    {
        // Costs on the stack: a farm of a few dozen servers at most, once a second.
        Span<double> costs = servers.Count <= 64 ? stackalloc double[servers.Count] : new double[servers.Count];
        var lowest = double.PositiveInfinity;
        for (var i = 0; i < servers.Count; i++)
        {
            var server = servers[i];
            costs[i] = double.NaN;
            var key = (app, server.Name);
            _current.Add(key);
            var samples = server.Statistics.ResponseTimeSamples;
            if (samples > 0 && (!_seen.TryGetValue(key, out var seen) || samples != seen.Samples))
            {
                // New responses since the last tick: the balancer's average is fresh.
                seen = (samples, server.Statistics.ResponseTimeEwmaMs);
                _seen[key] = seen;
            }
            else if (!_seen.TryGetValue(key, out seen))
            {
                continue; // Never measured: no reason to move it.
            }

            costs[i] = LoadWeightRule.Cost(seen.LatencyMs, cpuOf(server.Name) ?? 0);
            if (server.IsAvailable)
            {
                lowest = Math.Min(lowest, costs[i]);
            }
        }

        if (double.IsPositiveInfinity(lowest))
        {
            return; // Nothing available was measured: keep the factors as they are.
        }

        for (var i = 0; i < servers.Count; i++)
        {
            if (double.IsNaN(costs[i]))
            {
                continue;
            }

            var server = servers[i];
            var target = LoadWeightRule.Target(costs[i], lowest);
            var next = LoadWeightRule.Step(server.LoadFactor, target);
            if (Math.Abs(target - next) < LoadWeightRule.Deadband)
            {
                next = target; // Settled: no creeping by thousandths.
            }

            if (next != server.LoadFactor)
            {
                runtime.SetLoadFactor(app, server.Name, next);
            }
        }
    }
}
