using WebFarm.State.Hosting;
using WebFarm.State.Tests.Infrastructure;

namespace WebFarm.State.Tests;

public sealed class ExpiryTests : IAsyncLifetime
{
    private StateServer _server = null!;

    public async Task InitializeAsync() => _server = await StateServer.StartAsync(new StateServerOptions { Port = 0 });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Expired_keys_are_invisible_when_read_lazy_expiry()
    {
        await using var client = await RawClient.ConnectAsync(_server.EndPoint);
        Assert.Equal("OK", await client.CallAsync("SET", "short", "v", "PX", "150"));
        Assert.Equal("OK", await client.CallAsync("SET", "long", "v", "EX", "100"));
        Assert.Equal("v", await client.CallAsync("GET", "short"));
        await Eventually.UntilAsync(async () => await client.CallAsync("GET", "short") is null, "the 150 ms key expires");
        Assert.Equal(-2L, await client.CallAsync("TTL", "short"));
        Assert.Equal(0L, await client.CallAsync("EXISTS", "short"));
        Assert.Equal("v", await client.CallAsync("GET", "long"));
    }

    [Fact]
    public async Task Keys_nobody_reads_are_removed_by_active_expiry()
    {
        await using var client = await RawClient.ConnectAsync(_server.EndPoint);
        for (var i = 0; i < 500; i++)
        {
            await client.SendRawAsync(RawClient.Encode("SET", $"volatile:{i}", "v", "PX", "100"));
        }

        for (var i = 0; i < 500; i++)
        {
            Assert.Equal("OK", await client.ReadReplyAsync());
        }

        Assert.Equal("OK", await client.CallAsync("SET", "stays", "v"));
        // DBSIZE counts keys still stored, expired or not: only active expiry can bring it down.
        await Eventually.UntilAsync(async () => await client.CallAsync("DBSIZE") is 1L, "active expiry removes the 500 unread keys");
        var stats = (string)(await client.CallAsync("INFO", "stats"))!;
        Assert.Contains("expired_keys:500", stats);
    }

    [Fact]
    public async Task Expire_options_nx_xx_gt_lt_follow_redis()
    {
        await using var client = await RawClient.ConnectAsync(_server.EndPoint);
        await client.CallAsync("SET", "k", "v");
        Assert.Equal(0L, await client.CallAsync("EXPIRE", "k", "100", "XX"));
        Assert.Equal(1L, await client.CallAsync("EXPIRE", "k", "100", "NX"));
        Assert.Equal(0L, await client.CallAsync("EXPIRE", "k", "50", "GT"));
        Assert.Equal(1L, await client.CallAsync("EXPIRE", "k", "50", "LT"));
        Assert.InRange((long)(await client.CallAsync("TTL", "k"))!, 45, 50);
        Assert.Equal("ERR NX and XX, GT or LT options at the same time are not compatible", Assert.IsType<RespError>(await client.CallAsync("EXPIRE", "k", "5", "NX", "XX")).Message);
        Assert.Equal(0L, await client.CallAsync("EXPIRE", "missing", "5"));
    }

    [Fact]
    public async Task Expire_accepts_xx_with_gt_or_lt_and_refuses_the_incompatible_pairs_with_redis_texts()
    {
        await using var client = await RawClient.ConnectAsync(_server.EndPoint);
        await client.CallAsync("SET", "k", "v");
        Assert.Equal(0L, await client.CallAsync("EXPIRE", "k", "50", "XX", "LT")); // no TTL yet: XX fails
        Assert.Equal(1L, await client.CallAsync("EXPIRE", "k", "100"));
        Assert.Equal(1L, await client.CallAsync("EXPIRE", "k", "50", "XX", "LT"));
        Assert.Equal(0L, await client.CallAsync("PEXPIRE", "k", "40000", "GT", "XX"));
        Assert.Equal(1L, await client.CallAsync("EXPIRE", "k", "80", "xx", "gt"));
        Assert.InRange((long)(await client.CallAsync("TTL", "k"))!, 75, 80);
        const string nxError = "ERR NX and XX, GT or LT options at the same time are not compatible";
        Assert.Equal(nxError, Assert.IsType<RespError>(await client.CallAsync("EXPIRE", "k", "5", "NX", "GT")).Message);
        Assert.Equal(nxError, Assert.IsType<RespError>(await client.CallAsync("EXPIREAT", "k", "5", "LT", "NX")).Message);
        Assert.Equal(nxError, Assert.IsType<RespError>(await client.CallAsync("PEXPIREAT", "k", "5", "XX", "NX")).Message);
        Assert.Equal("ERR GT and LT options at the same time are not compatible", Assert.IsType<RespError>(await client.CallAsync("EXPIRE", "k", "5", "GT", "XX", "LT")).Message);
        Assert.Equal("ERR Unsupported option FOO", Assert.IsType<RespError>(await client.CallAsync("EXPIRE", "k", "5", "FOO")).Message);
        // Options are checked before the time, as in Redis.
        Assert.Equal(nxError, Assert.IsType<RespError>(await client.CallAsync("EXPIRE", "k", "soon", "NX", "XX")).Message);
        Assert.InRange((long)(await client.CallAsync("TTL", "k"))!, 75, 80);
    }
}
