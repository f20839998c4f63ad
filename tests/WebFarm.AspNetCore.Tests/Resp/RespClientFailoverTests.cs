using WebFarm.AspNetCore.Resp;
using WebFarm.AspNetCore.Tests.Infrastructure;

namespace WebFarm.AspNetCore.Tests.Resp;

/// <summary>
/// Two redis-servers, one replicating the other. The client is given both endpoints and must follow
/// the primary (ROLE) when the replica is promoted.
/// </summary>
public sealed class RespClientFailoverTests : IAsyncLifetime
{
    private RedisServer _first = null!;
    private RedisServer _second = null!;

    public async Task InitializeAsync()
    {
        _first = await RedisServer.StartAsync();
        _second = await RedisServer.StartAsync();
        await _second.CliAsync("REPLICAOF", "127.0.0.1", _first.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Eventually.TrueAsync(async () => (await _second.CliAsync("INFO", "replication")).Contains("master_link_status:up", StringComparison.Ordinal),
            TimeSpan.FromSeconds(20), "the replica to sync");
    }

    public async Task DisposeAsync()
    {
        await _first.DisposeAsync();
        await _second.DisposeAsync();
    }

    private RespClient CreateClient()
    {
        var options = new RespClientOptions { CommandTimeout = TimeSpan.FromSeconds(3) };
        // The replica is listed first: the client must skip it because its ROLE is not master.
        options.EndPoints.Add(_second.EndPoint);
        options.EndPoints.Add(_first.EndPoint);
        return new RespClient(options);
    }

    [Fact]
    public async Task Finds_the_primary_by_role_and_follows_a_promotion_when_the_old_primary_is_demoted()
    {
        await using var client = CreateClient();
        await client.ExecuteAsync("SET", "k", "1");
        Assert.Equal(_first.Port, client.CurrentEndPoint.Port);
        await Eventually.TrueAsync(async () => await _second.CliAsync("GET", "k") == "1", TimeSpan.FromSeconds(10), "replication of k");

        // Failover: promote the replica, demote the old primary under it.
        Assert.Equal("OK", await _second.CliAsync("REPLICAOF", "NO", "ONE"));
        Assert.Equal("OK", await _first.CliAsync("REPLICAOF", "127.0.0.1", _second.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        // The next write may hit the demoted server (READONLY); the client then asks ROLE again and moves.
        await Eventually.TrueAsync(async () => (await client.ExecuteAsync("SET", "k", "2")).AsString() == "OK",
            TimeSpan.FromSeconds(15), "a write to succeed after failover");
        Assert.Equal(_second.Port, client.CurrentEndPoint.Port);
        Assert.Equal("2", await _second.CliAsync("GET", "k"));
        for (int i = 0; i < 20; i++)
        {
            await client.ExecuteAsync("INCR", "after-failover");
        }

        Assert.Equal("20", await _second.CliAsync("GET", "after-failover"));
    }

    [Fact]
    public async Task Follows_the_promoted_replica_when_the_primary_dies()
    {
        await using var client = CreateClient();
        await client.ExecuteAsync("SET", "k", "1");
        Assert.Equal(_first.Port, client.CurrentEndPoint.Port);

        await _first.KillAsync();
        Assert.Equal("OK", await _second.CliAsync("REPLICAOF", "NO", "ONE"));
        await Eventually.TrueAsync(async () => (await client.ExecuteAsync("SET", "k", "3")).AsString() == "OK",
            TimeSpan.FromSeconds(15), "a write to succeed on the promoted replica");
        Assert.Equal(_second.Port, client.CurrentEndPoint.Port);
        Assert.Equal("3", await _second.CliAsync("GET", "k"));
    }

    [Fact]
    public async Task No_primary_among_the_endpoints_is_a_clear_connection_error()
    {
        await using var client = CreateClient();
        await _first.KillAsync();
        var error = await Eventually.ReturnsAsync(async () =>
        {
            try
            {
                await client.ExecuteAsync("SET", "k", "1");
                return null;
            }
            catch (RespConnectionException ex)
            {
                return ex;
            }
        }, ex => ex is not null && ex.Message.Contains("No primary", StringComparison.Ordinal), TimeSpan.FromSeconds(15), "a 'no primary' error");
        Assert.Contains("not the primary", error!.Message);
    }
}
