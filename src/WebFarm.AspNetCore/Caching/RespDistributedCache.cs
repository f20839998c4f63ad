using System.Globalization;
using Microsoft.Extensions.Caching.Distributed;
using WebFarm.AspNetCore.Health;
using WebFarm.AspNetCore.Resp;

namespace WebFarm.AspNetCore.Caching;

/// <summary>
/// <see cref="IDistributedCache"/> over a RESP server. Entries have exactly the layout of
/// Microsoft.Extensions.Caching.StackExchangeRedis — a hash with fields <c>absexp</c> (UTC ticks or -1),
/// <c>sldexp</c> (ticks or -1) and <c>data</c> — so apps using either library can share a Redis, and
/// the <c>webfarm state</c> server can be swapped for Redis. Writes are HSET followed by PEXPIRE on the same
/// connection; reads are HMGET and, for sliding entries, a PEXPIRE that pushes the expiry forward.
/// </summary>
public sealed class RespDistributedCache : IDistributedCache
{
    private const long NotPresent = -1;

    private readonly RespClient _client;
    private readonly string _prefix;
    private readonly WebFarmMetrics? _metrics;
    private readonly TimeProvider _time;
    private readonly int _writeReplicas;
    private readonly long _waitMilliseconds;

    /// <summary>
    /// Creates a cache whose keys are <paramref name="keyPrefix"/> + key. With <paramref name="writeReplicas"/> above
    /// zero a write counts as done only when that many replicas confirmed it (<c>WAIT</c>, up to half the client's
    /// command timeout, at most 1 s); otherwise it throws <see cref="RespReplicationException"/>.
    /// </summary>
    public RespDistributedCache(RespClient client, string keyPrefix, TimeProvider? time = null, WebFarmMetrics? metrics = null, int writeReplicas = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(writeReplicas);
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _prefix = keyPrefix ?? string.Empty;
        _time = time ?? TimeProvider.System;
        _metrics = metrics;
        _writeReplicas = writeReplicas;
        // WAIT holds the (multiplexed) socket it is sent on, so it must stay short when a replica is missing.
        _waitMilliseconds = Math.Max(1, (long)Math.Min(1000, client.CommandTimeout.TotalMilliseconds / 2));
    }

    /// <inheritdoc />
    public byte[]? Get(string key) => GetAsync(key).GetAwaiter().GetResult();

    /// <inheritdoc />
    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        try
        {
            var reply = await _client.ExecuteAsync(RespCommand.Create("HMGET", _prefix + key, "absexp", "sldexp", "data"), token).ConfigureAwait(false);
            var fields = reply.Items;
            if (fields.Count != 3 || fields[2].IsNull)
            {
                return null;
            }

            await SlideAsync(key, fields[0], fields[1], token).ConfigureAwait(false);
            return fields[2].AsBytes();
        }
        catch (RespException ex)
        {
            _metrics?.StoreFailed("get", ex);
            throw;
        }
    }

    /// <inheritdoc />
    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();

    /// <inheritdoc />
    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(options);
        var now = _time.GetUtcNow();
        var absolute = CacheExpiration.Absolute(options, now);
        var sliding = options.SlidingExpiration;
        var ttl = CacheExpiration.TimeToLive(absolute, sliding, now);
        var set = RespCommand.Create("HSET", _prefix + key,
            "absexp", absolute?.UtcTicks ?? NotPresent,
            "sldexp", sliding?.Ticks ?? NotPresent,
            "data", value);
        // Same connection, in order: the expiry applies to the hash just written. Without a TTL, PERSIST clears an
        // expiry left by an earlier version of the entry (HSET only updates fields).
        var expiry = ttl is { } t
            ? RespCommand.Create("PEXPIRE", _prefix + key, Milliseconds(t))
            : RespCommand.Create("PERSIST", _prefix + key);
        try
        {
            if (_writeReplicas == 0)
            {
                await _client.ExecuteBatchAsync([set, expiry], token).ConfigureAwait(false);
            }
            else
            {
                var replies = await _client.ExecuteBatchAsync([set, expiry, RespCommand.Create("WAIT", _writeReplicas, _waitMilliseconds)], token).ConfigureAwait(false);
                if (replies[2].Integer < _writeReplicas)
                {
                    throw new RespReplicationException(
                        $"Cache entry '{_prefix + key}' was confirmed by {replies[2].Integer} of {_writeReplicas} required replicas within {_waitMilliseconds} ms; not reported as stored.");
                }
            }
        }
        catch (RespException ex)
        {
            _metrics?.StoreFailed("set", ex);
            throw;
        }
    }

    /// <inheritdoc />
    public void Refresh(string key) => RefreshAsync(key).GetAwaiter().GetResult();

    /// <inheritdoc />
    public async Task RefreshAsync(string key, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        try
        {
            var reply = await _client.ExecuteAsync(RespCommand.Create("HMGET", _prefix + key, "absexp", "sldexp"), token).ConfigureAwait(false);
            var fields = reply.Items;
            if (fields.Count == 2)
            {
                await SlideAsync(key, fields[0], fields[1], token).ConfigureAwait(false);
            }
        }
        catch (RespException ex)
        {
            _metrics?.StoreFailed("refresh", ex);
            throw;
        }
    }

    /// <inheritdoc />
    public void Remove(string key) => RemoveAsync(key).GetAwaiter().GetResult();

    /// <inheritdoc />
    public async Task RemoveAsync(string key, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        try
        {
            await _client.ExecuteAsync(RespCommand.Create("DEL", _prefix + key), token).ConfigureAwait(false);
        }
        catch (RespException ex)
        {
            _metrics?.StoreFailed("remove", ex);
            throw;
        }
    }

    private async Task SlideAsync(string key, RespValue absoluteField, RespValue slidingField, CancellationToken token)
    {
        long slidingTicks = ParseTicks(slidingField);
        if (slidingTicks == NotPresent)
        {
            return;
        }

        long absoluteTicks = ParseTicks(absoluteField);
        var now = _time.GetUtcNow();
        DateTimeOffset? absolute = absoluteTicks == NotPresent ? null : new DateTimeOffset(absoluteTicks, TimeSpan.Zero);
        var ttl = CacheExpiration.TimeToLive(absolute, TimeSpan.FromTicks(slidingTicks), now)!.Value;
        if (ttl <= TimeSpan.Zero)
        {
            return; // Past its absolute expiry: the server removes it on its own.
        }

        await _client.ExecuteAsync(RespCommand.Create("PEXPIRE", _prefix + key, Milliseconds(ttl)), token).ConfigureAwait(false);
    }

    private static long ParseTicks(RespValue field) =>
        field.IsNull ? NotPresent : long.Parse(field.AsString()!, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    private static long Milliseconds(TimeSpan ttl) => Math.Max(1, (long)Math.Ceiling(ttl.TotalMilliseconds));
}
