using System.Diagnostics;
using WebFarm.State.Hosting;
using WebFarm.State.Tests.Infrastructure;

namespace WebFarm.State.Tests;

/// <summary>Pub/Sub over real sockets: delivery, ordering, patterns, introspection, cleanup, slow subscribers, redis-cli.</summary>
public sealed class PubSubTests : IAsyncLifetime
{
    private StateServer _server = null!;

    public async Task InitializeAsync() => _server = await StateServer.StartAsync(new StateServerOptions { Port = 0, ClientPubSubOutputLimitBytes = 1024 * 1024 });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static async Task<long> NumSubAsync(RawClient client, string channel)
        => (long)Assert.IsType<object?[]>(await client.CallAsync("PUBSUB", "NUMSUB", channel))[1]!;

    [Fact]
    public async Task Channel_and_pattern_subscribers_receive_every_message_in_publish_order()
    {
        await using var channelSubscriber = await RawClient.ConnectAsync(_server.EndPoint);
        await using var patternSubscriber = await RawClient.ConnectAsync(_server.EndPoint);
        await using var publisher = await RawClient.ConnectAsync(_server.EndPoint);
        Assert.Equal(new object?[] { "subscribe", "news", 1L }, await channelSubscriber.CallAsync("SUBSCRIBE", "news"));
        Assert.Equal(new object?[] { "psubscribe", "n?ws*", 1L }, await patternSubscriber.CallAsync("PSUBSCRIBE", "n?ws*"));

        for (var i = 0; i < 200; i++)
        {
            Assert.Equal(2L, await publisher.CallAsync("PUBLISH", "news", $"m{i}"));
        }

        Assert.Equal(1L, await publisher.CallAsync("PUBLISH", "newsroom", "pattern only"));
        Assert.Equal(0L, await publisher.CallAsync("PUBLISH", "sports", "nobody"));
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal(new object?[] { "message", "news", $"m{i}" }, await channelSubscriber.ReadReplyAsync());
            Assert.Equal(new object?[] { "pmessage", "n?ws*", "news", $"m{i}" }, await patternSubscriber.ReadReplyAsync());
        }

        Assert.Equal(new object?[] { "pmessage", "n?ws*", "newsroom", "pattern only" }, await patternSubscriber.ReadReplyAsync());
    }

    [Fact]
    public async Task A_client_matching_by_channel_and_pattern_gets_both_deliveries()
    {
        await using var subscriber = await RawClient.ConnectAsync(_server.EndPoint);
        await using var publisher = await RawClient.ConnectAsync(_server.EndPoint);
        await subscriber.CallAsync("SUBSCRIBE", "cache:invalidate");
        Assert.Equal(new object?[] { "psubscribe", "cache:*", 2L }, await subscriber.CallAsync("PSUBSCRIBE", "cache:*"));
        Assert.Equal(2L, await publisher.CallAsync("PUBLISH", "cache:invalidate", "user:1"));
        Assert.Equal(new object?[] { "message", "cache:invalidate", "user:1" }, await subscriber.ReadReplyAsync());
        Assert.Equal(new object?[] { "pmessage", "cache:*", "cache:invalidate", "user:1" }, await subscriber.ReadReplyAsync());
    }

    [Fact]
    public async Task A_message_published_before_a_command_is_delivered_before_its_reply()
    {
        await using var subscriber = await RawClient.ConnectAsync(_server.EndPoint);
        await using var publisher = await RawClient.ConnectAsync(_server.EndPoint);
        await subscriber.CallAsync("SUBSCRIBE", "a");
        Assert.Equal(1L, await publisher.CallAsync("PUBLISH", "a", "first"));
        // PUBLISH has returned, so the message exists before PING runs: it must arrive first, as from Redis.
        await subscriber.SendRawAsync(RawClient.Encode("PING"));
        Assert.Equal(new object?[] { "message", "a", "first" }, await subscriber.ReadReplyAsync());
        Assert.Equal(new object?[] { "pong", string.Empty }, await subscriber.ReadReplyAsync());
    }

    [Fact]
    public async Task Introspection_counts_subscriptions_and_a_closed_subscriber_is_forgotten()
    {
        await using var observer = await RawClient.ConnectAsync(_server.EndPoint);
        var subscriber = await RawClient.ConnectAsync(_server.EndPoint);
        await using (subscriber)
        {
            await subscriber.SendRawAsync(RawClient.Encode("SUBSCRIBE", "x:1", "x:2", "other"));
            for (var i = 0; i < 3; i++)
            {
                await subscriber.ReadReplyAsync();
            }

            await subscriber.CallAsync("PSUBSCRIBE", "x:*");
            var channels = Assert.IsType<object?[]>(await observer.CallAsync("PUBSUB", "CHANNELS", "x:*"));
            Assert.Equal(["x:1", "x:2"], channels.Cast<string>().Order(StringComparer.Ordinal));
            Assert.Equal(3, Assert.IsType<object?[]>(await observer.CallAsync("PUBSUB", "CHANNELS")).Length);
            Assert.Equal(new object?[] { "x:1", 1L, "nope", 0L }, await observer.CallAsync("PUBSUB", "NUMSUB", "x:1", "nope"));
            Assert.Equal(1L, await observer.CallAsync("PUBSUB", "NUMPAT"));
            var stats = (string)(await observer.CallAsync("INFO", "stats"))!;
            Assert.Contains("pubsub_channels:3\r\n", stats, StringComparison.Ordinal);
            Assert.Contains("pubsub_patterns:1\r\n", stats, StringComparison.Ordinal);
        }

        await Eventually.UntilAsync(async () => await NumSubAsync(observer, "x:1") == 0, "the closed subscriber's channels are released");
        Assert.Equal(0L, await observer.CallAsync("PUBSUB", "NUMPAT"));
        Assert.Empty(Assert.IsType<object?[]>(await observer.CallAsync("PUBSUB", "CHANNELS")));
        Assert.Equal(0L, await observer.CallAsync("PUBLISH", "x:1", "after"));
    }

    [Fact]
    public async Task A_subscriber_that_never_reads_is_dropped_and_never_slows_the_publisher()
    {
        await using var observer = await RawClient.ConnectAsync(_server.EndPoint);
        await using var stalled = await RawClient.ConnectAsync(_server.EndPoint);
        await using var healthy = await RawClient.ConnectAsync(_server.EndPoint);
        await using var publisher = await RawClient.ConnectAsync(_server.EndPoint);
        await stalled.CallAsync("SUBSCRIBE", "firehose");
        await healthy.CallAsync("SUBSCRIBE", "firehose");
        var payload = new string('x', 64 * 1024);
        var healthyReader = Task.Run(async () =>
        {
            var received = 0;
            while (received < 1000)
            {
                var message = Assert.IsType<object?[]>(await healthy.ReadReplyAsync());
                if ((string)message[2]! == "stop")
                {
                    break;
                }

                received++;
            }

            return received;
        });

        // The stalled client reads nothing: kernel buffers, its output pipe and then its 1 MB outbox fill up.
        // Every PUBLISH must still be answered at once (RawClient gives up after 20 s); bounded at 64 MB sent.
        var published = 0;
        while (published < 1000 && await NumSubAsync(observer, "firehose") == 2)
        {
            for (var i = 0; i < 20; i++, published++)
            {
                Assert.IsType<long>(await publisher.CallAsync("PUBLISH", "firehose", payload));
            }
        }

        Assert.Equal(1L, await NumSubAsync(observer, "firehose"));
        Assert.Contains("dropped_slow_clients:1\r\n", (string)(await observer.CallAsync("INFO", "stats"))!, StringComparison.Ordinal);
        Assert.True(await stalled.IsClosedByServerAsync(TimeSpan.FromSeconds(20)), "the stalled subscriber was disconnected");
        Assert.Equal(1L, await publisher.CallAsync("PUBLISH", "firehose", "stop"));
        Assert.Equal(published, await healthyReader);
        Assert.Equal("PONG", await publisher.CallAsync("PING"));
    }

    [Fact]
    public async Task Redis_cli_subscribe_receives_a_published_message()
    {
        await using var publisher = await RawClient.ConnectAsync(_server.EndPoint);
        var start = new ProcessStartInfo("redis-cli", $"-h {_server.EndPoint.Address} -p {_server.EndPoint.Port} subscribe deploys")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using var cli = Process.Start(start)!;
        try
        {
            await Eventually.UntilAsync(async () => await NumSubAsync(publisher, "deploys") == 1, "redis-cli has subscribed");
            Assert.Equal(1L, await publisher.CallAsync("PUBLISH", "deploys", "v42 is live"));
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            var lines = new List<string>();
            while (!lines.Contains("v42 is live"))
            {
                lines.Add(await cli.StandardOutput.ReadLineAsync(cts.Token) ?? throw new EndOfStreamException(string.Join('|', lines)));
            }

            Assert.Equal(["subscribe", "deploys", "1", "message", "deploys", "v42 is live"], lines);
        }
        finally
        {
            cli.Kill();
            await cli.WaitForExitAsync();
        }
    }
}
