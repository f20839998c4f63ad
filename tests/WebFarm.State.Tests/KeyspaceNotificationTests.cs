using WebFarm.State.Hosting;
using WebFarm.State.Tests.Infrastructure;

namespace WebFarm.State.Tests;

/// <summary>notify-keyspace-events: __keyspace@0__ / __keyevent@0__ messages for writes, deletions and expiry.</summary>
public sealed class KeyspaceNotificationTests : IAsyncLifetime
{
    private StateServer _server = null!;

    public async Task InitializeAsync() => _server = await StateServer.StartAsync(new StateServerOptions { Port = 0, ActiveExpiryInterval = TimeSpan.FromMilliseconds(10) });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<RawClient> SubscribeAsync(string pattern)
    {
        var subscriber = await RawClient.ConnectAsync(_server.EndPoint);
        Assert.Equal(new object?[] { "psubscribe", pattern, 1L }, await subscriber.CallAsync("PSUBSCRIBE", pattern));
        return subscriber;
    }

    [Fact]
    public async Task Nothing_is_published_until_enabled()
    {
        await using var client = await RawClient.ConnectAsync(_server.EndPoint);
        await using var subscriber = await SubscribeAsync("__key*__:*");
        Assert.Equal(new object?[] { "notify-keyspace-events", string.Empty }, await client.CallAsync("CONFIG", "GET", "notify-keyspace-events"));
        await client.CallAsync("SET", "quiet", "1");
        await client.CallAsync("CONFIG", "SET", "notify-keyspace-events", "KEA");
        await client.CallAsync("SET", "loud", "1");
        // The first message is for "loud": SET of "quiet" published nothing.
        Assert.Equal(new object?[] { "pmessage", "__key*__:*", "__keyspace@0__:loud", "set" }, await subscriber.ReadReplyAsync());
        Assert.Equal(new object?[] { "pmessage", "__key*__:*", "__keyevent@0__:set", "loud" }, await subscriber.ReadReplyAsync());
    }

    [Fact]
    public async Task Set_del_and_expire_events_follow_the_enabled_classes()
    {
        await using var client = await RawClient.ConnectAsync(_server.EndPoint);
        await using var subscriber = await SubscribeAsync("__keyevent@0__:*");
        // E$g: key-event channel only, string and generic classes; no h, so HSET is silent.
        Assert.Equal("OK", await client.CallAsync("CONFIG", "SET", "notify-keyspace-events", "E$g"));
        await client.CallAsync("HSET", "h", "f", "v");
        await client.CallAsync("SET", "k", "v", "EX", "100");
        await client.CallAsync("DEL", "k", "missing");
        await client.CallAsync("MSET", "a", "1", "b", "2");
        await client.CallAsync("RENAME", "a", "c");
        await client.CallAsync("INCRBYFLOAT", "c", "0.5");
        string[] expected = ["set:k", "expire:k", "del:k", "set:a", "set:b", "rename_from:a", "rename_to:c", "incrbyfloat:c"];
        foreach (var item in expected)
        {
            var message = Assert.IsType<object?[]>(await subscriber.ReadReplyAsync());
            Assert.Equal(item, ((string)message[2]!)["__keyevent@0__:".Length..] + ":" + (string)message[3]!);
        }
    }

    [Fact]
    public async Task Expired_is_published_by_the_active_expiry_cycle()
    {
        await using var client = await RawClient.ConnectAsync(_server.EndPoint);
        await using var subscriber = await SubscribeAsync("__keyspace@0__:session:*");
        Assert.Equal("OK", await client.CallAsync("CONFIG", "SET", "notify-keyspace-events", "Kx"));
        Assert.Equal(new object?[] { "notify-keyspace-events", "xK" }, await client.CallAsync("CONFIG", "GET", "notify-keyspace-events"));

        // Active: nobody touches the key; the expiry cycle deletes it and publishes.
        await client.CallAsync("SET", "session:active", "1", "PX", "20");
        Assert.Equal(new object?[] { "pmessage", "__keyspace@0__:session:*", "__keyspace@0__:session:active", "expired" }, await subscriber.ReadReplyAsync());

        // x alone: a SET is silent; after adding $ it is published (and nothing else came in between).
        await client.CallAsync("SET", "session:marker", "1");
        await client.CallAsync("CONFIG", "SET", "notify-keyspace-events", "K$");
        await client.CallAsync("SET", "session:marker", "2");
        Assert.Equal(new object?[] { "pmessage", "__keyspace@0__:session:*", "__keyspace@0__:session:marker", "set" }, await subscriber.ReadReplyAsync());
    }

    [Fact]
    public async Task Lazy_expiry_on_read_publishes_expired()
    {
        // Active expiry effectively off (once an hour), so only the read can expire the key.
        await using var server = await StateServer.StartAsync(new StateServerOptions { Port = 0, ActiveExpiryInterval = TimeSpan.FromHours(1) });
        await using var client = await RawClient.ConnectAsync(server.EndPoint);
        await using var subscriber = await RawClient.ConnectAsync(server.EndPoint);
        await subscriber.CallAsync("SUBSCRIBE", "__keyevent@0__:expired");
        await client.CallAsync("CONFIG", "SET", "notify-keyspace-events", "Ex");
        await client.CallAsync("SET", "k", "1", "PX", "1");
        await Eventually.UntilAsync(async () => await client.CallAsync("GET", "k") is null, "the read found the key expired");
        Assert.Equal(new object?[] { "message", "__keyevent@0__:expired", "k" }, await subscriber.ReadReplyAsync());
    }

    [Theory]
    [InlineData("KEQ")]
    [InlineData("K E")]
    [InlineData("all")]
    public async Task Unknown_class_letters_are_refused_with_redis_error(string value)
    {
        await using var client = await RawClient.ConnectAsync(_server.EndPoint);
        await client.CallAsync("CONFIG", "SET", "notify-keyspace-events", "KEA");
        Assert.Equal(
            "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
            Assert.IsType<RespError>(await client.CallAsync("CONFIG", "SET", "notify-keyspace-events", value)).Message);
        Assert.Equal(new object?[] { "notify-keyspace-events", "AKE" }, await client.CallAsync("CONFIG", "GET", "notify-keyspace-events"));
    }
}
