using Microsoft.Extensions.Caching.Distributed;
using Npgsql;
using NpgsqlTypes;
using WebFarm.AspNetCore.Health;
using WebFarm.AspNetCore.Storage;

namespace WebFarm.AspNetCore.Caching;

/// <summary>
/// <see cref="IDistributedCache"/> in the PostgreSQL table <c>webfarm_cache</c> (the durable
/// "SQL Server mode"). Expiry is evaluated by the database clock, so servers with skewed clocks agree;
/// a read and its sliding refresh are one round trip. Expired rows are invisible at once and deleted
/// by <see cref="PostgresCacheCleanupService"/>.
/// </summary>
internal sealed class PostgresDistributedCache(PostgresStore store, string keyPrefix, TimeProvider time, WebFarmMetrics metrics) : IDistributedCache
{
    private const string Live = "(expires_at IS NULL OR expires_at > now())";

    // The data-modifying CTE runs even though its result is unused; non-sliding rows are not rewritten.
    private const string GetSql = $"""
        WITH touch AS (
            UPDATE webfarm_cache SET expires_at = LEAST(absolute_expiration, now() + sliding_ms * interval '1 millisecond')
            WHERE id = @id AND sliding_ms IS NOT NULL AND {Live})
        SELECT value FROM webfarm_cache WHERE id = @id AND {Live}
        """;

    private const string RefreshSql = $"""
        UPDATE webfarm_cache SET expires_at = LEAST(absolute_expiration, now() + sliding_ms * interval '1 millisecond')
        WHERE id = @id AND sliding_ms IS NOT NULL AND {Live}
        """;

    private const string SetSql = """
        INSERT INTO webfarm_cache (id, value, expires_at, sliding_ms, absolute_expiration)
        VALUES (@id, @value, LEAST(@absolute, now() + @sliding_ms * interval '1 millisecond'), @sliding_ms, @absolute)
        ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at,
            sliding_ms = EXCLUDED.sliding_ms, absolute_expiration = EXCLUDED.absolute_expiration
        """;

    private const string RemoveSql = "DELETE FROM webfarm_cache WHERE id = @id";

    public byte[]? Get(string key) => GetAsync(key).GetAwaiter().GetResult();

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        try
        {
            await using var connection = await store.OpenAsync(token).ConfigureAwait(false);
            await using var command = new NpgsqlCommand(GetSql, connection);
            command.Parameters.AddWithValue("id", keyPrefix + key);
            return await command.ExecuteScalarAsync(token).ConfigureAwait(false) as byte[];
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            metrics.StoreFailed("get", ex);
            throw;
        }
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();

    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(options);
        var absolute = CacheExpiration.Absolute(options, time.GetUtcNow());
        try
        {
            await using var connection = await store.OpenAsync(token).ConfigureAwait(false);
            await using var command = new NpgsqlCommand(SetSql, connection);
            command.Parameters.AddWithValue("id", keyPrefix + key);
            command.Parameters.AddWithValue("value", NpgsqlDbType.Bytea, value);
            command.Parameters.Add(new NpgsqlParameter("absolute", NpgsqlDbType.TimestampTz) { Value = absolute is { } a ? a.UtcDateTime : DBNull.Value });
            command.Parameters.Add(new NpgsqlParameter("sliding_ms", NpgsqlDbType.Bigint)
            {
                Value = options.SlidingExpiration is { } s ? (long)Math.Ceiling(s.TotalMilliseconds) : DBNull.Value,
            });
            await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            metrics.StoreFailed("set", ex);
            throw;
        }
    }

    public void Refresh(string key) => RefreshAsync(key).GetAwaiter().GetResult();

    public Task RefreshAsync(string key, CancellationToken token = default) => ExecuteAsync(RefreshSql, key, "refresh", token);

    public void Remove(string key) => RemoveAsync(key).GetAwaiter().GetResult();

    public Task RemoveAsync(string key, CancellationToken token = default) => ExecuteAsync(RemoveSql, key, "remove", token);

    private async Task ExecuteAsync(string sql, string key, string operation, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(key);
        try
        {
            await using var connection = await store.OpenAsync(token).ConfigureAwait(false);
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.AddWithValue("id", keyPrefix + key);
            await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            metrics.StoreFailed(operation, ex);
            throw;
        }
    }
}
