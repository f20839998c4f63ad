using Microsoft.Extensions.Diagnostics.HealthChecks;
using WebFarm.AspNetCore.Hosting;
using WebFarm.AspNetCore.Resp;
using WebFarm.AspNetCore.Storage;

namespace WebFarm.AspNetCore.Health;

/// <summary>Unhealthy when the shared store does not answer a ping within <see cref="WebFarmOptions.StoreTimeout"/>.</summary>
internal sealed class StoreHealthCheck(IWebFarmStore store, WebFarmMetrics metrics, WebFarmOptions options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>
        {
            ["store"] = store.Kind,
            ["target"] = store.Target,
        };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.StoreTimeout);
        try
        {
            await store.PingAsync(timeout.Token).ConfigureAwait(false);
            metrics.StoreSucceeded();
            return HealthCheckResult.Healthy($"{store.Kind} store at {store.Target} is reachable.", data);
        }
        catch (RespClusterUnavailableException ex) when (ex.SomeSlotsServed)
        {
            // Part of the cluster is down. Every server of the farm shares the cluster, so taking this one out of
            // rotation (503) would turn a partial outage into a total one: report Degraded (200) with the slot
            // ranges and nodes, and count the failure.
            metrics.StoreFailed("health", ex);
            data["unavailable"] = string.Join("; ", ex.Problems);
            return HealthCheckResult.Degraded($"{store.Kind} store at {store.Target} is partly unavailable: {ex.Message}", ex, data);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            metrics.StoreFailed("health", ex);
            return HealthCheckResult.Unhealthy($"{store.Kind} store at {store.Target} is unreachable: {ex.Message}", ex, data);
        }
    }
}
