using System.Text;
using WebFarm.AspNetCore.Resp;
using WebFarm.AspNetCore.Tests.Infrastructure;

namespace WebFarm.AspNetCore.Tests.Resp;

/// <summary>The RESP client against a real redis-server.</summary>
public sealed class RespClientTests : IAsyncLifetime
{
    private RedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    private RespClient CreateClient(Action<RespClientOptions>? configure = null, params string[] endPoints)
    {
        var options = new RespClientOptions { CommandTimeout = TimeSpan.FromSeconds(10) };
        foreach (var endPoint in endPoints.Length == 0 ? [_redis.EndPoint] : endPoints)
        {
            options.EndPoints.Add(endPoint);
        }

        configure?.Invoke(options);
        return new RespClient(options);
    }

    [Fact]
    public async Task Set_get_and_binary_values_round_trip_and_are_visible_to_redis_cli()
    {
        await using var client = CreateClient();
        Assert.Equal("OK", (await client.ExecuteAsync("SET", "greeting", "hello")).AsString());
        Assert.Equal("hello", await _redis.CliAsync("GET", "greeting"));

        byte[] binary = [0, 1, 2, (byte)'\r', (byte)'\n', 255, (byte)'$', (byte)'*'];
        await client.ExecuteAsync("SET", "bin", binary);
        Assert.Equal(binary, (await client.ExecuteAsync("GET", "bin")).AsBytes());
        Assert.True((await client.ExecuteAsync("GET", "missing")).IsNull);
        Assert.Equal(3, (await client.ExecuteAsync("RPUSH", "list", "a", "b", "c")).Integer);
        var range = await client.ExecuteAsync("LRANGE", "list", 0, -1);
        Assert.Equal(["a", "b", "c"], range.Items.Select(i => i.AsString()));
    }

    [Fact]
    public async Task Error_replies_throw_with_the_server_message_and_keep_the_connection_usable()
    {
        await using var client = CreateClient(o => o.ConnectionCount = 1);
        await client.ExecuteAsync("SET", "text", "x");
        var error = await Assert.ThrowsAsync<RespServerException>(() => client.ExecuteAsync("HGET", "text", "field"));
        Assert.StartsWith("WRONGTYPE", error.ServerMessage);
        Assert.Equal("HGET", error.Command);
        var unknown = await Assert.ThrowsAsync<RespServerException>(() => client.ExecuteAsync("NOSUCHCOMMAND"));
        Assert.Contains("unknown command", unknown.ServerMessage, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("x", (await client.ExecuteAsync("GET", "text")).AsString());
    }

    [Fact]
    public async Task Thousands_of_concurrent_commands_are_pipelined_over_the_configured_connections_and_matched_in_order()
    {
        const int Count = 5000;
        await using var client = CreateClient(o => o.ConnectionCount = 2);
        var sets = new Task<RespValue>[Count];
        for (int i = 0; i < Count; i++)
        {
            sets[i] = client.ExecuteAsync(RespCommand.Create("SET", "k" + i, "v" + i));
        }

        await Task.WhenAll(sets).WaitAsync(TimeSpan.FromSeconds(60));
        var gets = new Task<RespValue>[Count];
        var incrs = new Task<RespValue>[Count];
        for (int i = 0; i < Count; i++)
        {
            gets[i] = client.ExecuteAsync(RespCommand.Create("GET", "k" + i));
            incrs[i] = client.ExecuteAsync(RespCommand.Create("INCR", "counter"));
        }

        var got = await Task.WhenAll(gets).WaitAsync(TimeSpan.FromSeconds(60));
        var counted = await Task.WhenAll(incrs).WaitAsync(TimeSpan.FromSeconds(60));
        for (int i = 0; i < Count; i++)
        {
            Assert.Equal("v" + i, got[i].AsString());
        }

        // Every INCR got its own reply: the values are exactly 1..Count.
        Assert.Equal(Enumerable.Range(1, Count).Select(i => (long)i), counted.Select(v => v.Integer).Order());

        // All of that went over two sockets (plus redis-cli's own while it asks).
        var clients = await _redis.CliAsync("CLIENT", "LIST");
        int ours = clients.Split('\n').Count(line => !line.Contains("cmd=client", StringComparison.Ordinal));
        Assert.Equal(2, ours);
    }

    [Fact]
    public async Task Batch_runs_commands_in_order_on_one_connection()
    {
        await using var client = CreateClient(o => o.ConnectionCount = 4);
        var replies = await client.ExecuteBatchAsync([
            RespCommand.Create("DEL", "h"),
            RespCommand.Create("HSET", "h", "f", "1"),
            RespCommand.Create("PEXPIRE", "h", 60000),
            RespCommand.Create("PTTL", "h"),
        ]);
        Assert.Equal(1, replies[1].Integer);
        Assert.Equal(1, replies[2].Integer); // the key existed when PEXPIRE ran
        Assert.InRange(replies[3].Integer, 1, 60000);
    }

    [Fact]
    public async Task A_command_without_reply_times_out_and_the_client_recovers()
    {
        await using var client = CreateClient(o =>
        {
            o.ConnectionCount = 1;
            o.CommandTimeout = TimeSpan.FromMilliseconds(500);
        });
        await client.PingAsync();

        // BLPOP blocks the connection server-side for 5 s: no reply arrives within the timeout.
        var timeout = await Assert.ThrowsAsync<RespTimeoutException>(() => client.ExecuteAsync("BLPOP", "never-pushed", 5));
        Assert.Contains("BLPOP", timeout.Message);

        // The stuck socket is dropped and replaced, so the next command does not wait behind BLPOP.
        await Eventually.TrueAsync(async () => (await client.ExecuteAsync("SET", "after", "1")).AsString() == "OK",
            TimeSpan.FromSeconds(10), "a command to succeed after the timeout");
        Assert.Equal("1", await _redis.CliAsync("GET", "after"));
    }

    [Fact]
    public async Task Cancellation_stops_waiting()
    {
        await using var client = CreateClient(o => o.ConnectionCount = 1);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ExecuteAsync(RespCommand.Create("BLPOP", "never", 3), cts.Token));
    }

    [Fact]
    public async Task Reconnects_after_the_server_restarts()
    {
        await using var client = CreateClient(o => o.CommandTimeout = TimeSpan.FromSeconds(2));
        await client.ExecuteAsync("SET", "before", "1");
        await _redis.KillAsync();

        // While the server is down commands fail with a connection error (not hang, not succeed).
        await Eventually.ReturnsAsync(async () =>
        {
            try
            {
                await client.PingAsync();
                return null;
            }
            catch (RespException ex)
            {
                return ex;
            }
        }, ex => ex is RespConnectionException, TimeSpan.FromSeconds(10), "a connection error while redis is down");

        await _redis.RestartAsync();
        await Eventually.TrueAsync(async () => (await client.ExecuteAsync("SET", "after", "2")).AsString() == "OK",
            TimeSpan.FromSeconds(15), "the client to reconnect");
        Assert.Equal("2", await _redis.CliAsync("GET", "after"));
    }

    [Fact]
    public async Task Bad_endpoints_are_rejected_with_the_setting_named()
    {
        var options = new RespClientOptions();
        options.EndPoints.Add("127.0.0.1:6379");
        options.EndPoints.Add("no-port-here");
        var error = Assert.Throws<ArgumentException>(() => new RespClient(options));
        Assert.Contains("EndPoints[1]", error.Message);
        Assert.Contains("no-port-here", error.Message);
        Assert.Throws<ArgumentException>(() => new RespClient(new RespClientOptions()));
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Unreachable_server_fails_fast_with_a_connection_error()
    {
        int closedPort = FreePort.Next();
        await using var client = CreateClient(o => o.CommandTimeout = TimeSpan.FromSeconds(5), $"127.0.0.1:{closedPort}");
        var error = await Assert.ThrowsAsync<RespConnectionException>(() => client.PingAsync());
        Assert.Contains(closedPort.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message);
    }
}

/// <summary>AUTH against a password-protected redis-server.</summary>
public sealed class RespClientAuthTests : IAsyncLifetime
{
    private RedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync(password: "s3cret");

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    private RespClient Create(string? password)
    {
        var options = new RespClientOptions { Password = password, CommandTimeout = TimeSpan.FromSeconds(5) };
        options.EndPoints.Add(_redis.EndPoint);
        return new RespClient(options);
    }

    [Fact]
    public async Task Correct_password_authenticates_every_connection()
    {
        await using var client = Create("s3cret");
        var writes = Enumerable.Range(0, 20).Select(i => client.ExecuteAsync("SET", "a" + i, "x")).ToArray();
        await Task.WhenAll(writes);
        Assert.Equal("20", await _redis.CliAsync("DBSIZE"));
    }

    [Fact]
    public async Task Missing_password_gets_NOAUTH()
    {
        await using var client = Create(null);
        var error = await Assert.ThrowsAsync<RespServerException>(() => client.ExecuteAsync("GET", "x"));
        Assert.StartsWith("NOAUTH", error.ServerMessage);
    }

    [Fact]
    public async Task Wrong_password_is_a_connection_error_naming_AUTH()
    {
        await using var client = Create("wrong");
        var error = await Assert.ThrowsAsync<RespConnectionException>(() => client.ExecuteAsync("GET", "x"));
        Assert.Contains("AUTH", error.Message);
        Assert.Contains("WRONGPASS", error.Message, StringComparison.OrdinalIgnoreCase);
    }
}
