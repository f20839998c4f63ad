using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using WebFarm.AspNetCore.Resp;
using WebFarm.AspNetCore.Storage;

namespace WebFarm.AspNetCore.Health;

/// <summary>
/// Makes store failures visible: every failed store operation increments the counter
/// <c>webfarm.store.errors</c> (meter <c>WebFarm.AspNetCore</c>, tags <c>store</c> and <c>operation</c>)
/// and is logged as an error. Plain ASP.NET Core session silently drops writes when its cache is
/// down; a farm must not. Logging is throttled to one error per operation kind every 10 s so an
/// outage under load does not flood the log, while the counter still counts every failure.
/// </summary>
public sealed class WebFarmMetrics
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "WebFarm.AspNetCore";

    /// <summary>The store error counter name.</summary>
    public const string StoreErrorsCounterName = "webfarm.store.errors";

    /// <summary>Cluster redirections followed (tag <c>kind</c> = <c>moved</c> or <c>ask</c>).</summary>
    public const string RedirectionsCounterName = "webfarm.store.cluster.redirections";

    /// <summary>Cluster slot map reads (tag <c>result</c> = <c>ok</c> or <c>failed</c>).</summary>
    public const string SlotMapRefreshesCounterName = "webfarm.store.cluster.slot_map_refreshes";

    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    private readonly Counter<long> _storeErrors;
    private readonly ILogger<WebFarmMetrics> _logger;
    private readonly IWebFarmStore _store;
    private readonly KeyValuePair<string, object?> _storeTag;
    private long _lastLogTimestamp;
    private long _suppressed;
    private int _failing;

    /// <summary>
    /// Creates the meter through the host's <see cref="IMeterFactory"/>; with <paramref name="respStatistics"/> also the
    /// cluster counters, read from the RESP client's Interlocked totals when a listener collects.
    /// </summary>
    public WebFarmMetrics(IMeterFactory meterFactory, IWebFarmStore store, ILogger<WebFarmMetrics> logger, RespClientStatistics? respStatistics = null)
    {
        var meter = meterFactory.Create(MeterName);
        _storeErrors = meter.CreateCounter<long>(StoreErrorsCounterName, unit: "{error}", description: "Failed operations against the shared session/cache/key store.");
        meter.CreateObservableGauge("webfarm.store.up", () => Volatile.Read(ref _failing) == 0 ? 1 : 0, description: "1 while the last store operation succeeded, 0 after a failure.");
        if (respStatistics is not null)
        {
            meter.CreateObservableCounter(RedirectionsCounterName, () => new[]
            {
                new Measurement<long>(respStatistics.MovedRedirections, new KeyValuePair<string, object?>("kind", "moved")),
                new Measurement<long>(respStatistics.AskRedirections, new KeyValuePair<string, object?>("kind", "ask")),
            }, unit: "{redirection}", description: "MOVED and ASK redirections the RESP client followed (resharding, failover).");
            meter.CreateObservableCounter(SlotMapRefreshesCounterName, () => new[]
            {
                new Measurement<long>(respStatistics.SlotMapRefreshes, new KeyValuePair<string, object?>("result", "ok")),
                new Measurement<long>(respStatistics.SlotMapRefreshFailures, new KeyValuePair<string, object?>("result", "failed")),
            }, unit: "{refresh}", description: "Cluster slot map reads by the RESP client.");
        }

        _store = store;
        _storeTag = new("store", store.Kind);
        _logger = logger;
    }

    /// <summary>Records a failed store operation (<paramref name="operation"/>: get, set, refresh, remove, keys, health, cleanup).</summary>
    public void StoreFailed(string operation, Exception error)
    {
        _storeErrors.Add(1, _storeTag, new KeyValuePair<string, object?>("operation", operation));
        Volatile.Write(ref _failing, 1);
        long now = Stopwatch.GetTimestamp();
        long last = Volatile.Read(ref _lastLogTimestamp);
        if (last != 0 && Stopwatch.GetElapsedTime(last, now) < LogInterval)
        {
            Interlocked.Increment(ref _suppressed);
            return;
        }

        if (Interlocked.CompareExchange(ref _lastLogTimestamp, now, last) != last)
        {
            Interlocked.Increment(ref _suppressed);
            return;
        }

        long suppressed = Interlocked.Exchange(ref _suppressed, 0);
        _logger.LogError(error, "WebFarm {Store} store at {Target} failed during {Operation}: {Message} ({Suppressed} similar errors suppressed)",
            _store.Kind, _store.Target, operation, error.Message, suppressed);
    }

    /// <summary>Records a successful store round trip; logs once when the store comes back.</summary>
    public void StoreSucceeded()
    {
        if (Interlocked.Exchange(ref _failing, 0) != 0)
        {
            _logger.LogInformation("WebFarm {Store} store at {Target} is reachable again.", _store.Kind, _store.Target);
        }
    }
}
