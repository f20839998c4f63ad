using System.Diagnostics.Metrics;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using WebFarm.AspNetCore.Caching;
using WebFarm.AspNetCore.Health;
using WebFarm.AspNetCore.Hosting;
using WebFarm.AspNetCore.Storage;
using WebFarm.AspNetCore.Tests.Infrastructure;

namespace WebFarm.AspNetCore.Tests.Caching;

/// <summary>The PostgreSQL cache against a real PostgreSQL started in a temporary directory.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresDistributedCacheTests : DistributedCacheContract, IAsyncLifetime
{
    private readonly PostgresServer _postgres;
    private PostgresStore _store = null!;
    private IDistributedCache _cache = null!;
    private WebFarmMetrics _metrics = null!;
    private IMeterFactory _meters = null!;

    public PostgresDistributedCacheTests(PostgresServer postgres) => _postgres = postgres;

    protected override IDistributedCache Cache => _cache;

    public Task InitializeAsync()
    {
        _store = new PostgresStore(_postgres.ConnectionString, TimeSpan.FromSeconds(10));
        _meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
        _metrics = new WebFarmMetrics(_meters, _store, NullLogger<WebFarmMetrics>.Instance);
        _cache = new PostgresDistributedCache(_store, "app:", TimeProvider.System, _metrics);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _meters.Dispose();
    }

    protected override async Task<bool> ExistsWithoutTouchingAsync(string key)
    {
        await using var command = _store.DataSource.CreateCommand("SELECT count(*) FROM webfarm_cache WHERE id = @id AND (expires_at IS NULL OR expires_at > now())");
        command.Parameters.AddWithValue("id", "app:" + key);
        return (long)(await command.ExecuteScalarAsync())! == 1;
    }

    [Fact]
    public async Task Cleanup_deletes_expired_rows()
    {
        await _cache.SetAsync("short", [1], new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(1) });
        await _cache.SetAsync("long", [2], new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1) });
        Assert.Equal(1, await CountRowsAsync("app:short"));
        await Eventually.TrueAsync(async () => await _cache.GetAsync("short") is null, TimeSpan.FromSeconds(15), "the short entry to expire");

        // Expired but still stored until the cleanup runs.
        Assert.Equal(1, await CountRowsAsync("app:short"));
        var cleanup = new PostgresCacheCleanupService(_store, new WebFarmOptions(), _metrics, NullLogger<PostgresCacheCleanupService>.Instance);
        Assert.True(await cleanup.DeleteExpiredAsync(CancellationToken.None) >= 1);
        Assert.Equal(0, await CountRowsAsync("app:short"));
        Assert.Equal(1, await CountRowsAsync("app:long"));
    }

    [Fact]
    public async Task Sliding_entry_row_records_the_window_and_absolute_cap()
    {
        await _cache.SetAsync("row", [1], new DistributedCacheEntryOptions
        {
            SlidingExpiration = TimeSpan.FromMinutes(2),
            AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(1),
        });
        await using var command = _store.DataSource.CreateCommand(
            "SELECT sliding_ms, expires_at = absolute_expiration FROM webfarm_cache WHERE id = 'app:row'");
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(120_000, reader.GetInt64(0));
        Assert.True(reader.GetBoolean(1)); // the absolute expiry is sooner than the sliding window
    }

    private async Task<long> CountRowsAsync(string id)
    {
        await using var command = _store.DataSource.CreateCommand("SELECT count(*) FROM webfarm_cache WHERE id = @id");
        command.Parameters.Add(new NpgsqlParameter("id", id));
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
