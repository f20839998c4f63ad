using Npgsql;
using WebFarm.Controller.Leadership;
using WebFarm.Controller.Store;
using WebFarm.Controller.Tests.Infrastructure;

namespace WebFarm.Controller.Tests.Leadership;

/// <summary>A leader whose lock session ends while it lives (the database dropped it) stops leading at once, so two controllers never both drive the farm.</summary>
[Collection(PostgresCollection.Name)]
public sealed class StepDownTests(PostgresServer postgres) : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_leader_that_loses_its_lock_session_steps_down_and_the_standby_leads()
    {
        var store = await PostgresDatabase.CreateAsync(postgres);
        await using var first = await TestController.StartAsync(_dir.Sub("first"), store: store);
        await using var second = await TestController.StartAsync(_dir.Sub("second"), store: store);
        Assert.True(first.Host.Leadership.IsLeader);
        Assert.NotNull(first.Host.Role);
        await Eventually.True(() => second.Host.Leadership.LeaderUrl == first.Host.Url.ToString(), because: "the standby names the leader");
        Assert.Null(second.Host.Role);

        // The database ends the leader's lock session (an operator's pg_terminate_backend, a failover of the database, a
        // network cut the server noticed): the leader must notice and stop running the registry.
        await using (var admin = new NpgsqlConnection(postgres.ConnectionString))
        {
            await admin.OpenAsync();
            await using var kill = new NpgsqlCommand($"SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND classid = {PostgresLeaderLock.LockClass} AND objid = {PostgresLeaderLock.LockObject} AND granted", admin);
            Assert.Equal(true, await kill.ExecuteScalarAsync());
        }

        await Eventually.True(() => second.Host.Leadership.IsLeader && second.Host.Role is not null, TimeSpan.FromSeconds(5), "the standby leads");
        await Eventually.True(() => !first.Host.Leadership.IsLeader && first.Host.Role is null, TimeSpan.FromSeconds(5), "the deposed leader stepped down");
        await Eventually.True(() => first.Host.Leadership.LeaderUrl == second.Host.Url.ToString(), because: "and now names the new leader");
        var (status, error) = await first.PostAsync("api/agents/tokens", null);
        Assert.Equal(503, status);
        Assert.Contains($"the leader is {second.Host.Url}", error);
    }

    [Fact]
    public async Task A_controller_with_an_unreachable_or_malformed_store_does_not_start_and_says_why()
    {
        var unreachable = await Assert.ThrowsAsync<WebFarm.Controller.Hosting.ControllerStartException>(
            () => TestController.StartAsync(_dir.Sub("c1"), store: $"postgres://postgres:hunter2@127.0.0.1:{FreePort.Next()}/nowhere?connect_timeout=2"));
        Assert.Contains("cannot open the PostgreSQL store", unreachable.Message);
        Assert.DoesNotContain("hunter2", unreachable.Message);

        var malformed = await Assert.ThrowsAsync<WebFarm.Controller.Hosting.ControllerStartException>(() => TestController.StartAsync(_dir.Sub("c2"), store: "sqlite:/tmp/x.db"));
        Assert.Contains("--store 'sqlite:/tmp/x.db' is not a postgres:// URL", malformed.Message);

        var pair = await PostgresDatabase.CreateAsync(postgres);
        var wildcard = await Assert.ThrowsAsync<WebFarm.Controller.Hosting.ControllerStartException>(() => TestController.StartAsync(_dir.Sub("c3"), token: "a-long-enough-operator-token", listen: "http://0.0.0.0:0", store: pair));
        Assert.Contains("--advertise is required", wildcard.Message);
    }
}
