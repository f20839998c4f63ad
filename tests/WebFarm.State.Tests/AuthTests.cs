using WebFarm.State.Hosting;
using WebFarm.State.Tests.Infrastructure;

namespace WebFarm.State.Tests;

public sealed class AuthTests : IAsyncLifetime
{
    private StateServer _server = null!;

    public async Task InitializeAsync() => _server = await StateServer.StartAsync(new StateServerOptions { Port = 0, Password = "open-sesame" });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Redis_cli_needs_the_password()
    {
        Assert.Equal("NOAUTH Authentication required.", await RedisTools.CliAsync(_server.EndPoint, "PING"));
        Assert.Equal("PONG", await RedisTools.CliAsync(_server.EndPoint, "PING", "open-sesame"));
        var (exit, output, _) = await RedisTools.RunAsync("redis-cli", $"-p {_server.Port} -a wrong --no-auth-warning PING");
        Assert.Equal(0, exit);
        Assert.Contains("WRONGPASS", output + await RedisTools.CliAsync(_server.EndPoint, "AUTH wrong"));
    }

    [Fact]
    public async Task Auth_and_hello_auth_unlock_the_connection()
    {
        await using var client = await RawClient.ConnectAsync(_server.EndPoint);
        Assert.Equal("NOAUTH Authentication required.", Assert.IsType<RespError>(await client.CallAsync("GET", "x")).Message);
        Assert.Equal("WRONGPASS invalid username-password pair or user is disabled.", Assert.IsType<RespError>(await client.CallAsync("AUTH", "nope")).Message);
        Assert.Equal("WRONGPASS invalid username-password pair or user is disabled.", Assert.IsType<RespError>(await client.CallAsync("AUTH", "admin", "open-sesame")).Message);
        Assert.Equal("OK", await client.CallAsync("AUTH", "default", "open-sesame"));
        Assert.Null(await client.CallAsync("GET", "x"));

        await using var hello = await RawClient.ConnectAsync(_server.EndPoint);
        var reply = Assert.IsType<object?[]>(await hello.CallAsync("HELLO", "2", "AUTH", "default", "open-sesame", "SETNAME", "app"));
        Assert.Equal("proto", reply[4]);
        Assert.Equal(2L, reply[5]);
        Assert.Equal("app", await hello.CallAsync("CLIENT", "GETNAME"));
    }

    [Fact]
    public async Task Unauthenticated_clients_cannot_send_big_requests()
    {
        await using var client = await RawClient.ConnectAsync(_server.EndPoint);
        await client.SendRawAsync(RawClient.Encode("SET", "k", new string('x', 100_000)));
        Assert.Equal("ERR Protocol error: unauthenticated bulk length", Assert.IsType<RespError>(await client.ReadReplyAsync()).Message);
        Assert.True(await client.IsClosedByServerAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Unauthenticated_oversized_multibulk_gets_redis_text_and_is_closed()
    {
        await using var client = await RawClient.ConnectAsync(_server.EndPoint);
        await client.SendRawAsync("*11\r\n");
        Assert.Equal("ERR Protocol error: unauthenticated multibulk length", Assert.IsType<RespError>(await client.ReadReplyAsync()).Message);
        Assert.True(await client.IsClosedByServerAsync(TimeSpan.FromSeconds(10)));

        // A malformed length is still "invalid", and ten arguments are fine before AUTH.
        await using var other = await RawClient.ConnectAsync(_server.EndPoint);
        await other.SendRawAsync("*x\r\n");
        Assert.Equal("ERR Protocol error: invalid multibulk length", Assert.IsType<RespError>(await other.ReadReplyAsync()).Message);
        await using var third = await RawClient.ConnectAsync(_server.EndPoint);
        Assert.Equal("NOAUTH Authentication required.", Assert.IsType<RespError>(await third.CallAsync("MSET", "a", "1", "b", "2", "c", "3", "d", "4", "e")).Message);
    }
}
