using System.Diagnostics;
using WebFarm.Balancer.Configuration;

namespace WebFarm.Balancer.Farms;

/// <summary>
/// Slow start: ramps a server's WarmupFactor from 5% to 100% over its farm's SlowStart after it becomes
/// available again. Runs on a timer rather than per request so the hot path only reads a double.
/// </summary>
internal sealed class SlowStart : IAsyncDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);
    private const double MinimumFactor = 0.05;

    private readonly BalancerRuntime _runtime;
    private readonly Timer _timer;
    private int _disposed;

    public SlowStart(BalancerRuntime runtime)
    {
        _runtime = runtime;
        _timer = new Timer(static s => ((SlowStart)s!).Update(), this, Tick, Tick);
    }

    /// <summary>Starts the ramp for a server that just became available (SetState Online, health rejoined).</summary>
    public static void Begin(ServerRuntime server, FarmOptions options)
    {
        if (options.SlowStart > TimeSpan.Zero)
        {
            server.WarmupStartTimestamp = Stopwatch.GetTimestamp();
            server.WarmupFactor = MinimumFactor;
            server.WasAvailable = true;
        }
    }

    /// <summary>
    /// One tick over every server of the current snapshot. It also catches servers that came back without
    /// going through SetState/SetHealth.
    /// </summary>
    private void Update()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        foreach (var farm in _runtime.Snapshot.Farms.Values)
        {
            var view = farm.View;
            var period = view.Options.SlowStart;
            foreach (var server in view.Servers)
            {
                var available = server.IsAvailable;
                if (period <= TimeSpan.Zero)
                {
                    server.WasAvailable = available;
                    if (server.WarmupFactor != 1.0)
                    {
                        server.WarmupFactor = 1.0;
                    }

                    continue;
                }

                if (available && !server.WasAvailable)
                {
                    server.WarmupStartTimestamp = now;
                }

                server.WasAvailable = available;
                if (!available || server.WarmupFactor >= 1.0 && server.WarmupStartTimestamp == 0)
                {
                    continue;
                }

                var elapsed = Stopwatch.GetElapsedTime(server.WarmupStartTimestamp, now);
                var factor = elapsed >= period ? 1.0 : Math.Max(MinimumFactor, elapsed / period);
                server.WarmupFactor = factor;
                if (factor >= 1.0)
                {
                    server.WarmupStartTimestamp = 0;
                }
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        Interlocked.Exchange(ref _disposed, 1);
        return _timer.DisposeAsync();
    }
}
