using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Statistics;

namespace WebFarm.Balancer.Dashboard;

/// <summary>
/// Samples every server's counters every <see cref="Interval"/> into a 15-minute <see cref="ServerHistory"/> for
/// the dashboard's charts and its recent error rate. Sampling reads the counters the request path already keeps
/// (Interlocked totals and the sliding latency window) from a timer, so the request path pays nothing for it.
/// </summary>
internal sealed class MetricsHistory : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan Span = TimeSpan.FromMinutes(15);

    private readonly BalancerRuntime _runtime;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Farm, string Server), ServerHistory> _servers = [];
    private readonly ITimer _timer;

    public MetricsHistory(BalancerRuntime runtime, TimeProvider? time = null)
    {
        _runtime = runtime;
        _time = time ?? TimeProvider.System;
        _timer = _time.CreateTimer(_ => Sample(), null, Interval, Interval);
    }

    private static int Capacity => (int)(Span / Interval) + 1;

    /// <summary>Takes one sample of every server now (the timer calls this; tests may too).</summary>
    public void Sample()
    {
        var now = _time.GetUtcNow();
        var seconds = (int)Interval.TotalSeconds;
        Span<long> bins = stackalloc long[LatencyBins.Count];
        lock (_lock)
        {
            var seen = new HashSet<(string, string)>();
            foreach (var farm in _runtime.Farms.Values)
            {
                foreach (var server in farm.Servers)
                {
                    var key = (farm.Name, server.Name);
                    seen.Add(key);
                    if (!_servers.TryGetValue(key, out var history))
                    {
                        history = new ServerHistory(Capacity);
                        _servers[key] = history;
                    }

                    var statistics = server.Statistics;
                    var requests = statistics.Requests;
                    var errors = statistics.Errors;
                    bins.Clear();
                    var total = statistics.AddHistogram(bins, seconds);
                    var p99 = LatencyBins.PercentileMs(bins, total, 0.99);
                    if (history.LastRequests >= 0)
                    {
                        history.Add(new HistorySample(
                            now,
                            Math.Max(0, requests - history.LastRequests) / Interval.TotalSeconds,
                            p99,
                            Math.Max(0, errors - history.LastErrors) / Interval.TotalSeconds,
                            Math.Max(0, requests - history.LastRequests),
                            Math.Max(0, errors - history.LastErrors)));
                    }

                    history.LastRequests = requests;
                    history.LastErrors = errors;
                }
            }

            // A removed server's chart goes with it; one added again under the same name starts a new one.
            List<(string, string)>? gone = null;
            foreach (var key in _servers.Keys)
            {
                if (!seen.Contains(key))
                {
                    (gone ??= []).Add(key);
                }
            }

            foreach (var key in gone ?? [])
            {
                _servers.Remove(key);
            }
        }
    }

    /// <summary>The server's samples of the last <paramref name="span"/> (empty for an unknown server).</summary>
    public List<HistorySample> Of(string farm, string server, TimeSpan span)
    {
        ServerHistory? history;
        lock (_lock)
        {
            _servers.TryGetValue((farm, server), out history);
        }

        return history?.Since(_time.GetUtcNow() - span) ?? [];
    }

    /// <summary>Errors / requests over the last minute of samples; 0 without requests.</summary>
    public double RecentErrorRate(string farm, string server)
    {
        long requests = 0, errors = 0;
        foreach (var sample in Of(farm, server, TimeSpan.FromMinutes(1)))
        {
            requests += sample.Requests;
            errors += sample.Errors;
        }

        return requests == 0 ? 0 : (double)errors / requests;
    }

    public void Dispose() => _timer.Dispose();
}
