using System.Net.Sockets;
using System.Text;
using WebFarm.State.Hosting;
using WebFarm.State.Tests.Infrastructure;

namespace WebFarm.State.Tests;

/// <summary>Raw-socket tests: pipelining, inline commands, malformed and hostile input.</summary>
public sealed class ProtocolTests : IAsyncLifetime
{
    private StateServer _server = null!;

    public async Task InitializeAsync() => _server = await StateServer.StartAsync(new StateServerOptions
    {
        Port = 0,
        MaxBulkLength = 1024 * 1024,
        ClientOutputStallTimeout = TimeSpan.FromSeconds(1),
        ClientOutputBufferBytes = 64 * 1024,
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<RawClient> Connect() => RawClient.ConnectAsync(_server.EndPoint);

    [Fact]
    public async Task Pipelined_commands_in_one_write_get_all_replies_in_order()
    {
        await using var client = await Connect();
        var batch = new MemoryStream();
        for (var i = 0; i < 2000; i++)
        {
            batch.Write(RawClient.Encode("SET", $"k{i}", $"v{i}"));
            batch.Write(RawClient.Encode("GET", $"k{i}"));
        }

        await client.SendRawAsync(batch.ToArray());
        for (var i = 0; i < 2000; i++)
        {
            Assert.Equal("OK", await client.ReadReplyAsync());
            Assert.Equal($"v{i}", await client.ReadReplyAsync());
        }
    }

    [Fact]
    public async Task A_command_arriving_one_byte_at_a_time_is_assembled()
    {
        await using var client = await Connect();
        var bytes = RawClient.Encode("SET", "slow", new string('x', 5000));
        for (var i = 0; i < bytes.Length; i += i < 40 ? 1 : 997)
        {
            await client.SendRawAsync(bytes[i..Math.Min(bytes.Length, i < 40 ? i + 1 : i + 997)]);
        }

        Assert.Equal("OK", await client.ReadReplyAsync());
        Assert.Equal(5000L, await client.CallAsync("STRLEN", "slow"));
    }

    [Fact]
    public async Task Inline_commands_with_quotes_work_like_redis()
    {
        await using var client = await Connect();
        await client.SendRawAsync("PING\r\n\r\nSET \"a key\" 'it\\'s'\r\nSET k \"line\\nbreak\\x41\"\nGET \"a key\"\r\nGET k\r\n");
        Assert.Equal("PONG", await client.ReadReplyAsync());
        Assert.Equal("OK", await client.ReadReplyAsync());
        Assert.Equal("OK", await client.ReadReplyAsync());
        Assert.Equal("it's", await client.ReadReplyAsync());
        Assert.Equal("line\nbreakA", await client.ReadReplyAsync());
    }

    [Theory]
    [InlineData("*abc\r\n", "ERR Protocol error: invalid multibulk length")]
    [InlineData("*99999999999\r\n", "ERR Protocol error: invalid multibulk length")]
    [InlineData("*1\r\n$-5\r\n", "ERR Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$999999999999\r\n", "ERR Protocol error: invalid bulk length")]
    [InlineData("*1\r\n$2000000\r\n", "ERR Protocol error: invalid bulk length")]
    [InlineData("*2\r\n$3\r\nGET\r\n:5\r\n", "ERR Protocol error: expected '$', got ':'")]
    [InlineData("SET \"unterminated\r\n", "ERR Protocol error: unbalanced quotes in request")]
    public async Task Malformed_requests_get_a_protocol_error_and_the_connection_is_closed(string request, string expected)
    {
        await using var client = await Connect();
        Assert.Equal("OK", await client.CallAsync("SET", "before", "1"));
        await client.SendRawAsync(request);
        var reply = Assert.IsType<RespError>(await client.ReadReplyAsync());
        Assert.Equal(expected, reply.Message);
        Assert.True(await client.IsClosedByServerAsync(TimeSpan.FromSeconds(10)));

        // The server itself is fine.
        await using var other = await Connect();
        Assert.Equal("1", await other.CallAsync("GET", "before"));
    }

    [Fact]
    public async Task An_endless_header_line_is_refused_not_buffered_forever()
    {
        await using var client = await Connect();
        await client.SendRawAsync("*" + new string('1', 70 * 1024));
        var reply = Assert.IsType<RespError>(await client.ReadReplyAsync());
        Assert.Equal("ERR Protocol error: too big mbulk count string", reply.Message);
    }

    [Fact]
    public async Task Unknown_commands_and_wrong_arity_keep_the_connection()
    {
        await using var client = await Connect();
        Assert.Equal("ERR unknown command 'nope', with args beginning with: 'x' ", Assert.IsType<RespError>(await client.CallAsync("nope", "x")).Message);
        Assert.Equal("ERR wrong number of arguments for 'get' command", Assert.IsType<RespError>(await client.CallAsync("GET")).Message);
        Assert.Equal("PONG", await client.CallAsync("PING"));
    }

    [Fact]
    public async Task Binary_keys_and_values_with_crlf_and_nul_round_trip()
    {
        await using var client = await Connect();
        var key = new byte[] { 0, 13, 10, 255, (byte)'*', (byte)'$' };
        var value = Enumerable.Range(0, 4096).Select(i => (byte)(i * 7)).ToArray();
        Assert.Equal("OK", await client.CallAsync("SET", key, value));
        await client.SendRawAsync(RawClient.Encode("GET", key));
        Assert.Equal(value, await client.ReadBulkBytesAsync());
        Assert.Equal(1L, await client.CallAsync("HSET", "h", key, value));
        await client.SendRawAsync(RawClient.Encode("HGET", "h", key));
        Assert.Equal(value, await client.ReadBulkBytesAsync());
    }

    [Fact]
    public async Task Half_closed_connection_still_gets_its_replies()
    {
        await using var client = await Connect();
        await client.SendRawAsync(RawClient.Encode("SET", "hc", "1").Concat(RawClient.Encode("INCR", "hc")).ToArray());
        client.Socket.Shutdown(SocketShutdown.Send);
        Assert.Equal("OK", await client.ReadReplyAsync());
        Assert.Equal(2L, await client.ReadReplyAsync());
        Assert.True(await client.IsClosedByServerAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_client_that_never_reads_replies_is_dropped_and_others_are_served()
    {
        await using var setup = await Connect();
        Assert.Equal("OK", await setup.CallAsync("SET", "blob", new string('b', 100_000)));

        using var hog = new Socket(SocketType.Stream, ProtocolType.Tcp);
        hog.ReceiveBufferSize = 4096;
        await hog.ConnectAsync(_server.EndPoint);
        var request = RawClient.Encode("GET", "blob");
        var chunk = Enumerable.Repeat(request, 100).SelectMany(b => b).ToArray();
        var dropped = false;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            // Keep asking for 100 KB replies without ever reading; the server must cut us off.
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                await hog.SendAsync(chunk, SocketFlags.None, cts.Token);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                if (ex is SocketException)
                {
                    dropped = true;
                    break;
                }
            }

            await using var probe = await Connect();
            Assert.Equal("PONG", await probe.CallAsync("PING"));
            var info = (string)(await probe.CallAsync("INFO", "stats"))!;
            if (info.Contains("dropped_slow_clients:1", StringComparison.Ordinal))
            {
                dropped = true;
                break;
            }
        }

        Assert.True(dropped, "the server never dropped the client that does not read");
    }

    [Fact]
    public async Task Two_thousand_concurrent_clients_are_served()
    {
        var clients = new List<RawClient>();
        try
        {
            for (var i = 0; i < 2000; i++)
            {
                clients.Add(await Connect());
            }

            await Task.WhenAll(clients.Select((c, i) => c.SendRawAsync(RawClient.Encode("INCR", "counter"))));
            var replies = await Task.WhenAll(clients.Select(c => c.ReadReplyAsync()));
            Assert.Equal(Enumerable.Range(1, 2000).Select(i => (long)i).ToHashSet(), replies.Cast<long>().ToHashSet());
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Huge_values_up_to_the_bulk_limit_are_accepted()
    {
        await using var client = await Connect();
        var value = new byte[1024 * 1024];
        Random.Shared.NextBytes(value);
        Assert.Equal("OK", await client.CallAsync("SET", "huge", value));
        await client.SendRawAsync(RawClient.Encode("GET", "huge"));
        Assert.Equal(value, await client.ReadBulkBytesAsync());
    }
}
