using System.Security.Cryptography;
using WebFarm.Controller.Store;
using WebFarm.Controller.Tests.Infrastructure;

namespace WebFarm.Controller.Tests.Store;

/// <summary>The store contract on a real PostgreSQL (a fresh database per test), plus what only a shared store faces: two controllers writing at once.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresControllerStoreTests(PostgresServer postgres) : ControllerStoreContract, IAsyncLifetime
{
    private string _url = string.Empty;

    public async Task InitializeAsync() => _url = await PostgresDatabase.CreateAsync(postgres);

    public Task DisposeAsync() => Task.CompletedTask;

    protected override async Task<IControllerStore> OpenAsync() => await PostgresControllerStore.OpenAsync(PostgresStoreUrl.Parse(_url), default);

    [Fact]
    public async Task Two_controllers_opening_the_store_at_once_and_joining_with_one_token_at_once_let_exactly_one_join()
    {
        var opened = await Task.WhenAll(OpenAsync(), OpenAsync());
        await using var a = opened[0];
        await using var b = opened[1];
        for (var round = 0; round < 20; round++)
        {
            var token = RandomNumberGenerator.GetBytes(32);
            await a.AddJoinTokenAsync(token, Now, Now.AddHours(1), default);
            var outcomes = await Task.WhenAll(
                a.JoinAsync(token, Server($"a{round}", RandomNumberGenerator.GetBytes(32)), default),
                b.JoinAsync(token, Server($"b{round}", RandomNumberGenerator.GetBytes(32)), default));
            Assert.Equal([JoinOutcome.Joined, JoinOutcome.TokenUsed], outcomes.Order());
        }

        // Two tokens, one name, at once: one joins, the other is told the name is taken and keeps its token.
        var first = RandomNumberGenerator.GetBytes(32);
        var second = RandomNumberGenerator.GetBytes(32);
        await a.AddJoinTokenAsync(first, Now, Now.AddHours(1), default);
        await a.AddJoinTokenAsync(second, Now, Now.AddHours(1), default);
        var same = await Task.WhenAll(a.JoinAsync(first, Server("same", RandomNumberGenerator.GetBytes(32)), default), b.JoinAsync(second, Server("same", RandomNumberGenerator.GetBytes(32)), default));
        Assert.Equal([JoinOutcome.Joined, JoinOutcome.NameTaken], same.Order());
        Assert.Equal(21, (await b.ListServersAsync(default)).Count);
    }

    [Theory]
    [InlineData("postgres://", "is not a PostgreSQL URL")]
    [InlineData("mysql://u@h/db", "is not a PostgreSQL URL")]
    [InlineData("postgres://u:secret@h/db/more", "the path must be one database name")]
    [InlineData("postgres://u:secret@h/db?sslmode=sometimes", "sslmode 'sometimes' is not one of")]
    [InlineData("postgres://u:secret@h/db?connect_timeout=0", "connect_timeout '0' is not a number of seconds")]
    [InlineData("postgres://u:secret@h/db?pool=9", "unknown parameter 'pool'")]
    public void A_bad_store_url_is_refused_naming_the_part_and_never_showing_the_password(string url, string expected)
    {
        var error = Assert.Throws<FormatException>(() => PostgresStoreUrl.Parse(url));
        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain("secret", error.Message);
    }

    [Fact]
    public void A_store_url_gives_host_port_user_password_database_and_options()
    {
        var builder = PostgresStoreUrl.Parse("postgresql://web%40farm:p%2Fss@[::1]:6543/farm_db?sslmode=require&connect_timeout=7&application_name=ctl");
        Assert.Equal(("::1", 6543, "web@farm", "p/ss", "farm_db"), (builder.Host, builder.Port, builder.Username, builder.Password, builder.Database));
        Assert.Equal((Npgsql.SslMode.Require, 7, "ctl"), (builder.SslMode, builder.Timeout, builder.ApplicationName));
        Assert.Equal((5432, null), (PostgresStoreUrl.Parse("postgres://db.example").Port, PostgresStoreUrl.Parse("postgres://db.example").Username));
    }
}
