using System.Text;
using Microsoft.Extensions.Caching.Distributed;
using WebFarm.AspNetCore.Tests.Infrastructure;

namespace WebFarm.AspNetCore.Tests.Caching;

/// <summary>
/// IDistributedCache semantics every backend must honour; each backend's test class inherits these.
/// Expiry windows are seconds long and checked by polling, so a loaded machine cannot flip the result.
/// </summary>
public abstract class DistributedCacheContract
{
    protected abstract IDistributedCache Cache { get; }

    private static string NewKey() => "test-" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task Set_then_get_returns_the_bytes_and_remove_deletes()
    {
        string key = NewKey();
        byte[] value = [1, 2, 3, 0, 255, 13, 10];
        await Cache.SetAsync(key, value, new DistributedCacheEntryOptions());
        Assert.Equal(value, await Cache.GetAsync(key));
        Assert.Equal(value, Cache.Get(key));
        await Cache.RemoveAsync(key);
        Assert.Null(await Cache.GetAsync(key));
        Assert.Null(await Cache.GetAsync(NewKey()));
    }

    [Fact]
    public async Task Overwrite_replaces_value_and_expiry()
    {
        string key = NewKey();
        await Cache.SetAsync(key, "first"u8.ToArray(), new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(1) });
        await Cache.SetAsync(key, "second"u8.ToArray(), new DistributedCacheEntryOptions());
        Assert.Equal("second", Encoding.UTF8.GetString((await Cache.GetAsync(key))!));

        // The no-expiry overwrite must have cleared the 1 s expiry of the first version.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal("second", Encoding.UTF8.GetString((await Cache.GetAsync(key))!));
    }

    [Fact]
    public async Task Absolute_expiration_removes_the_entry()
    {
        string key = NewKey();
        await Cache.SetAsync(key, "v"u8.ToArray(), new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(1) });
        await Eventually.TrueAsync(async () => await Cache.GetAsync(key) is null, TimeSpan.FromSeconds(15), "the entry to expire");
    }

    [Fact]
    public async Task Absolute_expiration_in_the_past_is_rejected()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            Cache.SetAsync(NewKey(), [1], new DistributedCacheEntryOptions { AbsoluteExpiration = DateTimeOffset.UtcNow.AddMinutes(-1) }));
    }

    [Fact]
    public async Task Sliding_expiration_is_extended_by_reads_and_expires_when_idle()
    {
        string key = NewKey();
        var sliding = TimeSpan.FromSeconds(4);
        await Cache.SetAsync(key, "v"u8.ToArray(), new DistributedCacheEntryOptions { SlidingExpiration = sliding });

        // Read every 500 ms for two full windows: each read pushes the expiry forward.
        var until = DateTime.UtcNow + (sliding * 2);
        while (DateTime.UtcNow < until)
        {
            Assert.NotNull(await Cache.GetAsync(key));
            await Task.Delay(500);
        }

        // Left alone, it expires.
        await Eventually.TrueAsync(async () => await ExistsWithoutTouchingAsync(key) == false, TimeSpan.FromSeconds(20), "the idle entry to expire");
        Assert.Null(await Cache.GetAsync(key));
    }

    [Fact]
    public async Task Refresh_extends_a_sliding_entry_without_reading_it()
    {
        string key = NewKey();
        var sliding = TimeSpan.FromSeconds(4);
        await Cache.SetAsync(key, "v"u8.ToArray(), new DistributedCacheEntryOptions { SlidingExpiration = sliding });
        var until = DateTime.UtcNow + (sliding * 2);
        while (DateTime.UtcNow < until)
        {
            await Cache.RefreshAsync(key);
            await Task.Delay(500);
        }

        Assert.NotNull(await Cache.GetAsync(key));
    }

    [Fact]
    public async Task Absolute_expiration_caps_sliding_refreshes()
    {
        string key = NewKey();
        await Cache.SetAsync(key, "v"u8.ToArray(), new DistributedCacheEntryOptions
        {
            SlidingExpiration = TimeSpan.FromSeconds(30),
            AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(2),
        });
        Assert.NotNull(await Cache.GetAsync(key));

        // Reads keep sliding it, but never past the absolute expiry.
        await Eventually.TrueAsync(async () => await Cache.GetAsync(key) is null, TimeSpan.FromSeconds(15), "the absolute expiry to win");
    }

    /// <summary>Whether the entry still exists, checked without a sliding refresh.</summary>
    protected abstract Task<bool> ExistsWithoutTouchingAsync(string key);
}
