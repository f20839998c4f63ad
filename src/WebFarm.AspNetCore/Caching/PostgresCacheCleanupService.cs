using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using WebFarm.AspNetCore.Health;
using WebFarm.AspNetCore.Hosting;
using WebFarm.AspNetCore.Storage;

namespace WebFarm.AspNetCore.Caching;

/// <summary>
/// Deletes expired rows of <c>webfarm_cache</c> every <see cref="WebFarmOptions.CacheCleanupInterval"/>.
/// Reads already ignore expired rows; this only reclaims space. Every server of the farm runs it;
/// concurrent DELETEs of the same rows are harmless.
/// </summary>
internal sealed class PostgresCacheCleanupService(PostgresStore store, WebFarmOptions options, WebFarmMetrics metrics, ILogger<PostgresCacheCleanupService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.CacheCleanupInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await DeleteExpiredAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Deletes expired rows once; returns how many were deleted, or -1 if the store failed.</summary>
    internal async Task<int> DeleteExpiredAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("DELETE FROM webfarm_cache WHERE expires_at <= now()", connection);
            int deleted = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            if (deleted > 0)
            {
                logger.LogDebug("Deleted {Count} expired cache rows.", deleted);
            }

            return deleted;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            metrics.StoreFailed("cleanup", ex);
            return -1;
        }
    }
}
