using System.Globalization;
using System.Net;
using System.Text;
using WebFarm.State.Hosting;
using WebFarm.State.Tests.Infrastructure;

namespace WebFarm.State.Tests;

/// <summary>
/// Differential tests: every script runs against the real redis-server 7.0 (Debian package) and against
/// webfarm state, and every reply (value, shape and exact error text) must be the same.
/// </summary>
public sealed class RedisCompatibilityTests : IAsyncLifetime
{
    private static readonly Dictionary<string, Step[]> Scripts = new()
    {
        ["incrbyfloat"] =
        [
            S("SET", "n", "10.5"), S("INCRBYFLOAT", "n", "0.1"), S("INCRBYFLOAT", "n", "-5"), S("GET", "n"),
            S("INCRBYFLOAT", "x", "0.1"), S("INCRBYFLOAT", "x", "0.2"),
            S("INCRBYFLOAT", "u", "17179869184"), S("INCRBYFLOAT", "u", "1.5"), S("INCRBYFLOAT", "u", "17179869184"),
            S("INCRBYFLOAT", "y", "1e20"), S("INCRBYFLOAT", "z", "3.0e-20"), S("INCRBYFLOAT", "v", "-0.0"),
            S("INCRBYFLOAT", "q", "0.024390243902439025"), S("INCRBYFLOAT", "q", "-0.024390243902439025"),
            S("INCRBYFLOAT", "s", "inf"), S("INCRBYFLOAT", "s", "-inf"), S("INCRBYFLOAT", "s", "nan"),
            S("INCRBYFLOAT", "s", " 1"), S("INCRBYFLOAT", "s", "1 "), S("INCRBYFLOAT", "s", ""), S("INCRBYFLOAT", "s", "1e-5000"),
            S("INCRBYFLOAT", "s", "1e5000"), S("EXISTS", "s"),
            S("SET", "str", "abc"), S("INCRBYFLOAT", "str", "1"), S("HSET", "h", "f", "v"), S("INCRBYFLOAT", "h", "1"),
            S("SET", "t", "1", "EX", "100"), S("INCRBYFLOAT", "t", "1.25"), S("TTL", "t"),
            S("INCRBYFLOAT", "t"),
        ],
        ["hincrbyfloat"] =
        [
            S("HINCRBYFLOAT", "h", "f", "1.1"), S("HINCRBYFLOAT", "h", "f", "2.2"), S("HINCRBYFLOAT", "h", "f", "-3.3"),
            S("HINCRBYFLOAT", "h", "f", "inf"), S("HINCRBYFLOAT", "h", "f", "abc"), S("HSET", "h", "g", "abc"),
            S("HINCRBYFLOAT", "h", "g", "1"), S("SET", "s", "x"), S("HINCRBYFLOAT", "s", "f", "1"), S("HGET", "h", "f"),
            S("HINCRBYFLOAT", "h", "f"),
        ],
        ["getrange and setrange"] =
        [
            S("SET", "k", "HelloWorld"), S("GETRANGE", "k", "0", "4"), S("GETRANGE", "k", "-5", "-1"), S("GETRANGE", "k", "5", "100"),
            S("GETRANGE", "k", "-1", "-5"), S("GETRANGE", "k", "-100", "2"), S("GETRANGE", "k", "3", "2"), S("GETRANGE", "k", "0", "-100"),
            S("GETRANGE", "nokey", "0", "-1"), S("GETRANGE", "k", "a", "b"), S("SETRANGE", "k", "5", "XY"), S("GET", "k"),
            S("SETRANGE", "k", "12", "!"), S("GET", "k"), S("SETRANGE", "new", "3", "abc"), S("GET", "new"), S("STRLEN", "new"),
            S("SETRANGE", "k", "0", ""), S("SETRANGE", "empty", "5", ""), S("EXISTS", "empty"), S("SETRANGE", "k", "-1", "a"),
            S("SETRANGE", "k", "536870912", "a"), S("SETRANGE", "k", "x", "a"), S("HSET", "h", "f", "v"), S("SETRANGE", "h", "0", "a"),
            S("GETRANGE", "h", "0", "1"), S("SET", "e", ""), S("GETRANGE", "e", "0", "-1"),
        ],
        ["msetnx"] =
        [
            S("MSETNX", "a", "1", "b", "2"), S("MSETNX", "b", "3", "c", "4"), S("MGET", "a", "b", "c"), S("MSETNX", "a"),
            S("MSETNX", "a", "1", "b"), S("MSETNX", "d", "1", "d", "2"), S("GET", "d"),
        ],
        ["rename"] =
        [
            S("SET", "a", "1", "EX", "100"), S("RENAME", "a", "b"), S("TTL", "b"), S("EXISTS", "a"), S("RENAME", "nokey", "x"),
            S("RENAMENX", "nokey", "x"), S("SET", "c", "3"), S("RENAMENX", "b", "c"), S("RENAMENX", "b", "d"), S("TTL", "d"),
            S("RENAME", "c", "c"), S("RENAMENX", "c", "c"), S("HSET", "h", "f", "v"), S("RENAME", "h", "d"), S("TYPE", "d"),
            S("HGET", "d", "f"), S("TTL", "d"), S("RENAME", "d"),
        ],
        ["hscan"] =
        [
            S("HSET", "h", "a", "1", "b", "2", "c", "3"), S("HSCAN", "h", "0"), S("HSCAN", "h", "0", "MATCH", "a*"),
            S("HSCAN", "h", "0", "COUNT", "0"), S("HSCAN", "h", "x"), S("HSCAN", "h", "-1"), S("HSCAN", "nokey", "0", "BAD"),
            S("HSCAN", "h", "0", "BAD"), S("HSCAN", "h", "0", "COUNT"), S("HSCAN", "h", "0", "COUNT", "abc"), S("SET", "s", "x"),
            S("HSCAN", "s", "0"), S("HSCAN", "h"),
        ],
        ["watch"] =
        [
            S("WATCH"), S("MULTI"), S("WATCH", "x"), S("EXEC"), S("UNWATCH"), S("MULTI"), S("UNWATCH"), S("EXEC"),
            S("WATCH", "x", "y"), S("SET", "x", "1"), S("MULTI"), S("GET", "x"), S("EXEC"), S("WATCH", "x"), S("MULTI"),
            S("GET", "x"), S("EXEC"), S("UNWATCH", "x"),
            S("WATCH", "x"), S("SET", "x", "10"), S("MULTI"), S("DISCARD"), S("MULTI"), S("INCR", "x"), S("EXEC"),
            S("WATCH", "missing"), S("FLUSHALL"), S("MULTI"), S("PING"), S("EXEC"),
            S("SET", "x", "1"), S("WATCH", "x"), S("FLUSHDB"), S("MULTI"), S("PING"), S("EXEC"),
            S("SET", "x", "1"), S("WATCH", "x"), S("EXPIRE", "x", "100"), S("MULTI"), S("PING"), S("EXEC"),
            S("WATCH", "x"), S("PERSIST", "x"), S("MULTI"), S("PING"), S("EXEC"),
            S("WATCH", "x"), S("PERSIST", "x"), S("MULTI"), S("PING"), S("EXEC"),
            S("SET", "y", "1"), S("WATCH", "x", "y"), S("RENAME", "y", "z"), S("MULTI"), S("PING"), S("EXEC"),
            S("WATCH", "x"), S("MULTI"), S("SET", "x", "2"), S("EXEC"), S("MULTI"), S("GET", "x"), S("EXEC"),
        ],
        ["pubsub without subscriptions"] =
        [
            S("PUBLISH", "ch", "msg"), S("PUBSUB", "NUMPAT"), S("PUBSUB", "NUMSUB", "a", "b"), S("PUBSUB", "NUMSUB"),
            S("PUBSUB", "CHANNELS"), S("PUBSUB", "CHANNELS", "a", "b"), S("PUBSUB", "NUMPAT", "x"), S("PUBSUB", "FOO"),
            S("PUBSUB"), S("UNSUBSCRIBE"), S("PUNSUBSCRIBE"), R(2, "UNSUBSCRIBE", "a", "b"), S("PUBLISH", "ch"), S("SUBSCRIBE"),
        ],
        ["subscribed mode"] =
        [
            S("SUBSCRIBE", "a"), S("GET", "x"), S("SET", "x", "1"), S("MULTI"), S("PUBLISH", "a", "b"), S("PING"), S("PING", "hi"),
            S("CLIENT", "ID"), S("CONFIG", "GET", "x"), S("PUBSUB", "NUMPAT"), S("GET"), S("NOSUCH", "x"), S("ECHO", "x"),
            R(2, "SUBSCRIBE", "a", "b"), R(2, "PSUBSCRIBE", "p*", "q*"), S("PSUBSCRIBE", "p*"), S("UNSUBSCRIBE", "b"),
            R(2, "PUNSUBSCRIBE"), S("UNSUBSCRIBE"), S("PING"), S("SUBSCRIBE", "a"), S("RESET"), S("GET", "x"), S("PING"),
        ],
        ["transaction then subscribed mode"] =
        [
            S("MULTI"), S("SUBSCRIBE", "a"), S("EXEC"), S("GET", "x"), S("UNSUBSCRIBE", "a"), S("GET", "x"),
        ],
        ["notify-keyspace-events setting"] =
        [
            S("CONFIG", "SET", "notify-keyspace-events", "KEQ"), S("CONFIG", "GET", "notify-keyspace-events"),
            S("CONFIG", "SET", "notify-keyspace-events", "KEA"), S("CONFIG", "GET", "notify-keyspace-events"),
            S("CONFIG", "SET", "notify-keyspace-events", "Eg$hx"), S("CONFIG", "GET", "notify-keyspace-events"),
            S("CONFIG", "SET", "notify-keyspace-events", "Kx"), S("CONFIG", "GET", "notify-keyspace-events"),
            S("CONFIG", "SET", "notify-keyspace-events", "AmnKE"), S("CONFIG", "GET", "notify-keyspace-events"),
            S("CONFIG", "SET", "notify-keyspace-events", "gln$szxetdKE"), S("CONFIG", "GET", "notify-keyspace-events"),
            S("CONFIG", "SET", "notify-keyspace-events", ""), S("CONFIG", "GET", "notify-keyspace-events"),
        ],
    };

    private RedisServer _redis = null!;
    private StateServer _state = null!;

    public static TheoryData<string> ScriptNames => [.. Scripts.Keys];

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _state = await StateServer.StartAsync(new StateServerOptions { Port = 0 });
    }

    public async Task DisposeAsync()
    {
        await _state.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(ScriptNames))]
    public async Task Replies_match_redis_server(string script)
    {
        await using var redis = await RawClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _redis.Port));
        await using var state = await RawClient.ConnectAsync(_state.EndPoint);
        await redis.CallAsync("FLUSHALL");
        await state.CallAsync("FLUSHALL");
        try
        {
            foreach (var step in Scripts[script])
            {
                var expected = await RunAsync(redis, step);
                var actual = await RunAsync(state, step);
                Assert.True(expected == actual, $"{step}: redis-server answered {expected}, webfarm state answered {actual}");
            }
        }
        finally
        {
            await using var resetRedis = await RawClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _redis.Port));
            await resetRedis.CallAsync("CONFIG", "SET", "notify-keyspace-events", string.Empty);
        }
    }

    [Fact]
    public async Task Keyspace_notifications_match_redis_server()
    {
        Step[] writes =
        [
            S("SET", "s", "1"), S("SET", "s", "2", "EX", "100"), S("SET", "s", "3", "KEEPTTL"), S("SETNX", "s", "x"), S("SETNX", "n", "1"),
            S("SETEX", "e", "100", "v"), S("PSETEX", "e", "100000", "v"), S("GETSET", "e", "w"), S("MSET", "a", "1", "b", "2"),
            S("MSETNX", "c", "1", "d", "2"), S("MSETNX", "a", "1", "z", "2"), S("APPEND", "a", "x"), S("INCR", "b"), S("DECRBY", "b", "5"),
            S("INCRBYFLOAT", "b", "0.5"), S("SETRANGE", "c", "3", "abc"), S("SETRANGE", "c", "0", ""), S("EXPIRE", "c", "100"),
            S("PERSIST", "c"), S("PERSIST", "c"), S("GETEX", "c", "EX", "50"), S("GETEX", "c", "PERSIST"), S("PEXPIREAT", "d", "1"),
            S("RENAME", "a", "a2"), S("RENAMENX", "a2", "b"), S("RENAMENX", "a2", "a3"), S("GETDEL", "a3"), S("DEL", "b", "missing"),
            S("UNLINK", "n"), S("HSET", "h", "f", "1", "g", "2"), S("HSETNX", "h", "f", "x"), S("HSETNX", "h", "k", "x"), S("HINCRBY", "h", "f", "2"),
            S("HINCRBYFLOAT", "h", "f", "1.5"), S("HDEL", "h", "f", "g"), S("HDEL", "h", "k"), S("HMSET", "h", "x", "1"), S("FLUSHALL"),
            S("SET", "marker", "end"),
        ];
        var expected = await NotificationsAsync(new IPEndPoint(IPAddress.Loopback, _redis.Port), writes);
        var actual = await NotificationsAsync(_state.EndPoint, writes);
        Assert.Contains("__keyevent@0__:rename_to a2", expected);
        Assert.Contains("__keyspace@0__:h hincrbyfloat", expected);
        Assert.Equal(expected, actual);
    }

    private static async Task<List<string>> NotificationsAsync(IPEndPoint server, Step[] writes)
    {
        await using var client = await RawClient.ConnectAsync(server);
        await using var subscriber = await RawClient.ConnectAsync(server);
        await client.CallAsync("FLUSHALL");
        await subscriber.CallAsync("PSUBSCRIBE", "__key*__:*");
        Assert.Equal("OK", await client.CallAsync("CONFIG", "SET", "notify-keyspace-events", "KEA"));
        try
        {
            foreach (var step in writes)
            {
                Assert.IsNotType<RespError>(await client.CallAsync([.. step.Args]));
            }

            var received = new List<string>();
            while (received.Count < 500)
            {
                var message = Assert.IsType<object?[]>(await subscriber.ReadReplyAsync());
                received.Add($"{message[2]} {message[3]}");
                if ((string)message[2]! == "__keyevent@0__:set" && (string)message[3]! == "marker")
                {
                    return received;
                }
            }

            return received;
        }
        finally
        {
            await client.CallAsync("CONFIG", "SET", "notify-keyspace-events", string.Empty);
        }
    }

    private static Step S(params string[] args) => new(1, args);

    private static Step R(int replies, params string[] args) => new(replies, args);

    private static async Task<string> RunAsync(RawClient client, Step step)
    {
        await client.SendRawAsync(RawClient.Encode([.. step.Args]));
        var text = new StringBuilder();
        for (var i = 0; i < step.Replies; i++)
        {
            Render(text, await client.ReadReplyAsync());
            text.Append(' ');
        }

        return text.ToString().TrimEnd();
    }

    private static void Render(StringBuilder text, object? reply)
    {
        switch (reply)
        {
            case null:
                text.Append("(nil)");
                break;
            case long number:
                text.Append(':').Append(number.ToString(CultureInfo.InvariantCulture));
                break;
            case RespError error:
                text.Append('-').Append(error.Message);
                break;
            case object?[] items:
                text.Append('[');
                foreach (var item in items)
                {
                    Render(text, item);
                    text.Append(',');
                }

                text.Append(']');
                break;
            default:
                text.Append('"').Append(reply).Append('"');
                break;
        }
    }

    private sealed record Step(int Replies, string[] Args)
    {
        public override string ToString() => string.Join(' ', Args.Select(arg => arg.Length == 0 || arg.Contains(' ', StringComparison.Ordinal) ? $"'{arg}'" : arg));
    }
}
