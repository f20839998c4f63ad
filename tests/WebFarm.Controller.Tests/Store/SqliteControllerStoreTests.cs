using System.Security.Cryptography;
using WebFarm.Agent.Control;
using WebFarm.Controller.Store;
using WebFarm.Controller.Tests.Infrastructure;

namespace WebFarm.Controller.Tests.Store;

public sealed class SqliteControllerStoreTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 6, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_join_token_is_consumed_once_and_the_server_is_kept_across_reopening()
    {
        var token = RandomNumberGenerator.GetBytes(32);
        var credential = RandomNumberGenerator.GetBytes(32);
        await using (var store = await Open())
        {
            await store.AddJoinTokenAsync(token, Now, Now.AddHours(1), default);
            Assert.Equal(JoinOutcome.Joined, await store.JoinAsync(token, Server("web1", credential), default));
            Assert.Equal(JoinOutcome.TokenUsed, await store.JoinAsync(token, Server("web2", RandomNumberGenerator.GetBytes(32)), default));
            Assert.True(await store.RecordHeartbeatAsync("web1", Now.AddSeconds(3), new ServerLoad(12.5, 100, 200, 0.5, 0.25, 0.125), default));
            Assert.False(await store.RecordHeartbeatAsync("nobody", Now, ServerLoad.Empty, default));
        }

        await using (var reopened = await Open())
        {
            var server = Assert.Single(await reopened.ListServersAsync(default));
            Assert.Equal("web1", server.Name);
            Assert.Equal("http://10.0.0.11:5000", server.Address);
            Assert.Equal(credential, server.CredentialHash);
            Assert.Equal(Now.AddSeconds(3), server.LastHeartbeat);
            Assert.Equal(12.5, server.Load!.CpuPercent);
            Assert.Equal(JoinOutcome.TokenUsed, await reopened.JoinAsync(token, Server("web3", RandomNumberGenerator.GetBytes(32)), default));
        }
    }

    [Fact]
    public async Task Unknown_and_expired_tokens_are_refused_and_a_taken_name_leaves_the_token_usable()
    {
        await using var store = await Open();
        Assert.Equal(JoinOutcome.TokenUnknown, await store.JoinAsync(RandomNumberGenerator.GetBytes(32), Server("web1", RandomNumberGenerator.GetBytes(32)), default));

        var expired = RandomNumberGenerator.GetBytes(32);
        await store.AddJoinTokenAsync(expired, Now.AddHours(-2), Now.AddHours(-1), default);
        Assert.Equal(JoinOutcome.TokenExpired, await store.JoinAsync(expired, Server("web1", RandomNumberGenerator.GetBytes(32)), default));

        var first = RandomNumberGenerator.GetBytes(32);
        var second = RandomNumberGenerator.GetBytes(32);
        await store.AddJoinTokenAsync(first, Now, Now.AddHours(1), default);
        await store.AddJoinTokenAsync(second, Now, Now.AddHours(1), default);
        Assert.Equal(JoinOutcome.Joined, await store.JoinAsync(first, Server("web1", RandomNumberGenerator.GetBytes(32)), default));
        Assert.Equal(JoinOutcome.NameTaken, await store.JoinAsync(second, Server("web1", RandomNumberGenerator.GetBytes(32)), default));

        // Nothing half-applied: the second token was not consumed by the refused join.
        Assert.Equal(JoinOutcome.Joined, await store.JoinAsync(second, Server("web2", RandomNumberGenerator.GetBytes(32)), default));
        Assert.Equal(["web1", "web2"], (await store.ListServersAsync(default)).Select(s => s.Name));
    }

    private Task<SqliteControllerStore> Open() => SqliteControllerStore.OpenAsync(_dir.Sub(SqliteControllerStore.FileName), default);

    private static ServerRecord Server(string name, byte[] credential) => new(name, "http://10.0.0.11:5000", credential, Now, null, null);
}
