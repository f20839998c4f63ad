using WebFarm.State.Hosting;
using WebFarm.State.Tests.Infrastructure;

namespace WebFarm.State.Tests;

/// <summary>WATCH/UNWATCH check-and-set: EXEC answers a nil array (*-1) when a watched key changed in any way.</summary>
public sealed class WatchTests : IAsyncLifetime
{
    private StateServer _server = null!;

    public async Task InitializeAsync() => _server = await StateServer.StartAsync(new StateServerOptions { Port = 0, ActiveExpiryInterval = TimeSpan.FromMilliseconds(10) });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>MULTI, INCR counter, EXEC; returns EXEC's raw first line ("*1" ran, "*-1" refused).</summary>
    private static async Task<string> IncrInTransactionAsync(RawClient client, string key = "counter")
    {
        Assert.Equal("OK", await client.CallAsync("MULTI"));
        Assert.Equal("QUEUED", await client.CallAsync("INCR", key));
        await client.SendRawAsync(RawClient.Encode("EXEC"));
        var line = await client.ReadLineAsync();
        if (line == "*1")
        {
            await client.ReadReplyAsync();
        }

        return line;
    }

    public static TheoryData<string, string[]> Modifications => new()
    {
        { "SET", ["SET", "counter", "5"] },
        { "INCR", ["INCR", "counter"] },
        { "APPEND", ["APPEND", "counter", "0"] },
        { "DEL", ["DEL", "counter"] },
        { "EXPIRE", ["EXPIRE", "counter", "100"] },
        { "PERSIST", ["PERSIST", "ttl"] },
        { "RENAME away", ["RENAME", "counter", "elsewhere"] },
        { "RENAME onto", ["RENAME", "other", "counter"] },
        { "SETRANGE", ["SETRANGE", "counter", "0", "9"] },
        { "INCRBYFLOAT", ["INCRBYFLOAT", "counter", "1.5"] },
        { "MSETNX", ["MSETNX", "counter2", "1"] },
        { "FLUSHALL", ["FLUSHALL"] },
        { "FLUSHDB", ["FLUSHDB"] },
        { "GETDEL", ["GETDEL", "counter"] },
    };

    [Theory]
    [MemberData(nameof(Modifications))]
    public async Task Any_write_by_another_client_fails_the_exec(string name, string[] write)
    {
        await using var client = await RawClient.ConnectAsync(_server.EndPoint);
        await using var other = await RawClient.ConnectAsync(_server.EndPoint);
        await other.CallAsync("FLUSHALL");
        await other.CallAsync("MSET", "counter", "1", "other", "2");
        await other.CallAsync("SET", "ttl", "1", "EX", "100");
        // MSETNX's key is watched too so that its write (creating a watched key) is the change under test.
        Assert.Equal("OK", await client.CallAsync("WATCH", "counter", "ttl", "counter2"));
        Assert.IsNotType<RespError>(await other.CallAsync([.. write]));
        Assert.True("*-1" == await IncrInTransactionAsync(client), $"{name} of a watched key must fail the EXEC");
        // The failed EXEC forgot the watch: the next transaction runs.
        Assert.Equal("*1", await IncrInTransactionAsync(client));
    }

    [Fact]
    public async Task An_untouched_watch_lets_exec_run_and_reads_do_not_count()
    {
        await using var client = await RawClient.ConnectAsync(_server.EndPoint);
        await using var other = await RawClient.ConnectAsync(_server.EndPoint);
        await client.CallAsync("SET", "counter", "1");
        await client.CallAsync("WATCH", "counter", "missing");
        await other.CallAsync("GET", "counter");
        await other.CallAsync("EXISTS", "missing");
        await other.CallAsync("SET", "unrelated", "1");
        Assert.Equal("*1", await IncrInTransactionAsync(client));
        Assert.Equal("2", await client.CallAsync("GET", "counter"));
    }

    [Fact]
    public async Task Unwatch_and_discard_forget_the_watched_keys()
    {
        await using var client = await RawClient.ConnectAsync(_server.EndPoint);
        await using var other = await RawClient.ConnectAsync(_server.EndPoint);
        await client.CallAsync("WATCH", "counter");
        await client.CallAsync("UNWATCH");
        await other.CallAsync("SET", "counter", "10");
        Assert.Equal("*1", await IncrInTransactionAsync(client));

        await client.CallAsync("WATCH", "counter");
        await client.CallAsync("MULTI");
        await client.CallAsync("DISCARD");
        await other.CallAsync("SET", "counter", "20");
        Assert.Equal("*1", await IncrInTransactionAsync(client));
        Assert.Equal("21", await client.CallAsync("GET", "counter"));
    }

    [Fact]
    public async Task Watch_inside_multi_is_refused_without_aborting_the_transaction()
    {
        await using var client = await RawClient.ConnectAsync(_server.EndPoint);
        await client.CallAsync("MULTI");
        Assert.Equal("ERR WATCH inside MULTI is not allowed", Assert.IsType<RespError>(await client.CallAsync("WATCH", "k")).Message);
        await client.CallAsync("SET", "k", "v");
        Assert.Equal(new object?[] { "OK" }, await client.CallAsync("EXEC"));
    }

    [Fact]
    public async Task A_watched_key_that_expires_fails_the_exec_even_before_it_is_deleted()
    {
        await using var client = await RawClient.ConnectAsync(_server.EndPoint);
        await client.CallAsync("SET", "counter", "1", "PX", "50");
        await client.CallAsync("WATCH", "counter");
        await Eventually.UntilAsync(async () => await client.CallAsync("EXISTS", "counter") is 0L, "the watched key expired");
        Assert.Equal("*-1", await IncrInTransactionAsync(client));
    }

    [Fact]
    public async Task A_key_already_expired_at_watch_does_not_fail_the_exec_when_it_is_deleted()
    {
        await using var client = await RawClient.ConnectAsync(_server.EndPoint);
        await using var other = await RawClient.ConnectAsync(_server.EndPoint);
        await client.CallAsync("SET", "stale", "1", "PX", "1");
        await Eventually.UntilAsync(async () => await other.CallAsync("PTTL", "stale") is -2L, "the key is logically expired");
        // PTTL above may already have deleted it; either way nothing a client could read changes afterwards.
        await client.CallAsync("WATCH", "stale");
        await other.CallAsync("DEL", "stale");
        Assert.Equal("*1", await IncrInTransactionAsync(client, "stale"));
    }

    [Fact]
    public void Eviction_of_a_watched_key_marks_the_watcher_dirty()
    {
        // In-process: which key an eviction policy picks is random, so the keyspace hook is driven directly.
        var store = new Storage.StateStore();
        store.Keys.Add("counter"u8, "1"u8.ToArray());
        var watches = new Storage.KeyWatches();
        store.Keys.Watches.Watch(watches, "counter"u8, expired: false);
        store.MaxMemory = 1;
        store.Policy = Storage.MaxMemoryPolicy.AllKeysLru;
        Assert.True(store.TryMakeRoom(0));
        Assert.Equal(0, store.Keys.Count);
        Assert.True(watches.Dirty);
    }
}
