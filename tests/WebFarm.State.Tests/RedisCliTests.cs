using WebFarm.State.Hosting;
using WebFarm.State.Tests.Infrastructure;

namespace WebFarm.State.Tests;

/// <summary>The real redis-cli against an in-process server.</summary>
public sealed class RedisCliTests : IAsyncLifetime
{
    private StateServer _server = null!;

    public async Task InitializeAsync() => _server = await StateServer.StartAsync(new StateServerOptions { Port = 0 });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<string> Cli(string args) => RedisTools.CliAsync(_server.EndPoint, args);

    [Fact]
    public async Task Strings_hashes_and_counters_work_through_redis_cli()
    {
        Assert.Equal("PONG", await Cli("PING"));
        Assert.Equal("hello world", await Cli("ECHO \"hello world\""));
        Assert.Equal("OK", await Cli("SET greeting hi"));
        Assert.Equal("hi", await Cli("GET greeting"));
        Assert.Equal("5", await Cli("APPEND greeting 123"));
        Assert.Equal("5", await Cli("STRLEN greeting"));
        Assert.Equal("hi123", await Cli("GETDEL greeting"));
        Assert.Equal("0", await Cli("EXISTS greeting"));
        Assert.Equal("11", await Cli("INCRBY n 11"));
        Assert.Equal("12", await Cli("INCR n"));
        Assert.Equal("10", await Cli("DECRBY n 2"));
        Assert.Equal("9", await Cli("DECR n"));
        Assert.Equal("OK", await Cli("MSET a 1 b 2"));
        Assert.Equal("1\n2\n", await Cli("MGET a b missing") + "\n");
        Assert.Equal("2", await Cli("HSET session:1 user alice data blob"));
        Assert.Equal("alice", await Cli("HGET session:1 user"));
        Assert.Equal("alice\nblob\n", await Cli("HMGET session:1 user data nope") + "\n");
        Assert.Equal("2", await Cli("HLEN session:1"));
        Assert.Equal("1", await Cli("HEXISTS session:1 user"));
        Assert.Equal("1", await Cli("HDEL session:1 user"));
        Assert.Equal("data\nblob", await Cli("HGETALL session:1"));
        Assert.Equal("hash", await Cli("TYPE session:1"));
        Assert.Equal("string", await Cli("TYPE a"));
        Assert.Equal("none", await Cli("TYPE nope"));
        Assert.Equal("4", await Cli("DBSIZE"));
        Assert.Equal("2", await Cli("DEL a b"));
        Assert.Equal("1", await Cli("UNLINK n"));
        Assert.Equal("OK", await Cli("FLUSHDB"));
        Assert.Equal("0", await Cli("DBSIZE"));
    }

    [Fact]
    public async Task Errors_match_redis_texts_exactly()
    {
        Assert.Equal("ERR unknown command 'foo', with args beginning with: 'bar' 'baz' ", await Cli("foo bar baz"));
        Assert.Equal("ERR unknown command 'foo', with args beginning with: ", await Cli("foo"));
        Assert.Equal("ERR wrong number of arguments for 'get' command", await Cli("GET"));
        Assert.Equal("ERR wrong number of arguments for 'hset' command", await Cli("HSET h f"));
        await Cli("HSET h f v");
        Assert.Equal("WRONGTYPE Operation against a key holding the wrong kind of value", await Cli("GET h"));
        await Cli("SET s notanumber");
        Assert.Equal("ERR value is not an integer or out of range", await Cli("INCR s"));
        await Cli("SET big 9223372036854775807");
        Assert.Equal("ERR increment or decrement would overflow", await Cli("INCR big"));
        Assert.Equal("ERR syntax error", await Cli("SET k v NX XX"));
        Assert.Equal("ERR invalid expire time in 'set' command", await Cli("SET k v EX 0"));
        Assert.Equal("ERR DB index is out of range", await Cli("SELECT 1"));
        Assert.Equal("OK", await Cli("SELECT 0"));
        Assert.Equal("NOPROTO unsupported protocol version", await Cli("HELLO 3"));
        Assert.Contains("proto\n2", await Cli("HELLO 2"));
        Assert.Equal("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?", await Cli("AUTH secret"));
    }

    [Fact]
    public async Task Set_options_follow_redis_semantics()
    {
        Assert.Equal(string.Empty, await Cli("SET k v XX"));
        Assert.Equal("OK", await Cli("SET k v NX"));
        Assert.Equal(string.Empty, await Cli("SET k w NX"));
        Assert.Equal("v", await Cli("SET k w GET"));
        Assert.Equal("OK", await Cli("SET k w EX 100"));
        Assert.Equal("OK", await Cli("SET k x KEEPTTL"));
        var ttl = long.Parse(await Cli("TTL k"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(ttl, 90, 100);
        Assert.Equal("OK", await Cli("SET k y"));
        Assert.Equal("-1", await Cli("TTL k"));
        Assert.Equal("-2", await Cli("TTL nothing"));
        Assert.Equal("y", await Cli("GETEX k PX 50000"));
        Assert.InRange(long.Parse(await Cli("PTTL k"), System.Globalization.CultureInfo.InvariantCulture), 40000, 50000);
        Assert.Equal("y", await Cli("GETEX k PERSIST"));
        Assert.Equal("-1", await Cli("PTTL k"));
        Assert.Equal("1", await Cli("EXPIRE k 100"));
        Assert.Equal("1", await Cli("PERSIST k"));
        Assert.Equal("0", await Cli("PERSIST k"));
        var future = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        Assert.Equal("1", await Cli($"EXPIREAT k {future}"));
        Assert.InRange(long.Parse(await Cli("TTL k"), System.Globalization.CultureInfo.InvariantCulture), 3500, 3600);
        Assert.Equal("1", await Cli("PEXPIRE k 100000"));
        Assert.Equal("1", await Cli("EXPIREAT k 1"));
        Assert.Equal("0", await Cli("EXISTS k"));
    }

    [Fact]
    public async Task Server_commands_report_what_tools_expect()
    {
        await Cli("SET a 1");
        await Cli("SET b 2 EX 100");
        var info = await Cli("INFO");
        foreach (var field in new[] { "# Server", "redis_version:", "tcp_port:" + _server.Port, "# Memory", "used_memory:", "maxmemory_policy:noeviction", "# Replication", "role:master", "master_repl_offset:", "# Keyspace", "db0:keys=2,expires=1" })
        {
            Assert.Contains(field, info);
        }

        var replication = await Cli("INFO replication");
        Assert.Contains("role:master", replication);
        Assert.DoesNotContain("# Keyspace", replication);
        Assert.True(int.Parse(await Cli("COMMAND COUNT"), System.Globalization.CultureInfo.InvariantCulture) > 40);
        Assert.Contains("get", await Cli("COMMAND INFO get"));
        Assert.Equal(string.Empty, await Cli("COMMAND DOCS"));
        Assert.Equal("master\n0", (await Cli("ROLE")).Split('\n')[0] + "\n" + (await Cli("ROLE")).Split('\n')[1]);
        Assert.Equal("OK", await Cli("CLIENT SETNAME worker-1"));
        Assert.Matches("^[0-9]+$", await Cli("CLIENT ID"));
        Assert.Contains("appendonly\nno", await Cli("CONFIG GET append*"));
    }

    [Fact]
    public async Task Scan_with_match_and_count_returns_every_key_once_per_full_iteration()
    {
        var script = string.Join('\n', Enumerable.Range(0, 300).Select(i => $"SET user:{i} v")) + "\n" + string.Join('\n', Enumerable.Range(0, 50).Select(i => $"SET other:{i} v")) + "\n";
        var (exit, _, error) = await RedisTools.RunAsync("redis-cli", $"-p {_server.Port}", stdin: script);
        Assert.True(exit == 0, error);
        // redis-cli --scan drives SCAN with cursors until 0.
        var keys = (await Cli("--scan --pattern user:*")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(300, keys.Distinct().Count());
        Assert.All(keys, key => Assert.StartsWith("user:", key));
        Assert.Equal(350, (await Cli("--scan")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Distinct().Count());

        // COUNT bounds the work per call; iterating to cursor 0 still visits every key.
        await using var client = await RawClient.ConnectAsync(_server.EndPoint);
        var seen = new HashSet<string>();
        var cursor = "0";
        var calls = 0;
        do
        {
            var reply = Assert.IsType<object?[]>(await client.CallAsync("SCAN", cursor, "MATCH", "other:*", "COUNT", "17"));
            cursor = (string)reply[0]!;
            foreach (var key in Assert.IsType<object?[]>(reply[1]))
            {
                seen.Add((string)key!);
            }

            calls++;
        }
        while (cursor != "0");
        Assert.Equal(50, seen.Count);
        Assert.InRange(calls, 350 / 17, (350 / 17) + 2);
        Assert.Equal("ERR invalid cursor", await Cli("SCAN notanumber"));
    }

    [Fact]
    public async Task Binary_values_round_trip_through_redis_cli()
    {
        var file = Path.GetTempFileName();
        try
        {
            var bytes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
            await File.WriteAllBytesAsync(file, bytes);
            var (exit, output, error) = await RedisTools.RunAsync("bash", $"-c \"redis-cli -p {_server.Port} -x SET bin < {file}\"");
            Assert.True(exit == 0, error);
            Assert.Equal("OK", output.Trim());
            Assert.Equal("256", await Cli("STRLEN bin"));
            await using var raw = await RawClient.ConnectAsync(_server.EndPoint);
            await raw.SendRawAsync(RawClient.Encode("GET", "bin"));
            Assert.Equal(bytes, await raw.ReadBulkBytesAsync());
        }
        finally
        {
            File.Delete(file);
        }
    }
}
