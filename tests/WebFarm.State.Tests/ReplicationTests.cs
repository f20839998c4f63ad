using WebFarm.State.Hosting;
using WebFarm.State.Replication;
using WebFarm.State.Tests.Infrastructure;

namespace WebFarm.State.Tests;

public sealed class ReplicationTests
{
    private static StateServerOptions ReplicaOf(StateServer master, string? password = null)
        => new() { Port = 0, ReplicaOf = $"127.0.0.1:{master.Port}", Password = password };

    private static async Task WaitForLinkAsync(StateServer replica, string? password = null)
        => await Wait.UntilAsync(
            async () => (await RedisTools.CliAsync(replica.EndPoint, "INFO replication", password)).Contains("master_link_status:up", StringComparison.Ordinal),
            "the replica's link is up");

    [Fact]
    public async Task Replica_gets_existing_data_then_the_stream_of_writes_while_they_flow()
    {
        await using var master = await StateServer.StartAsync(new StateServerOptions { Port = 0 });
        await using var writer = await RawClient.ConnectAsync(master.EndPoint);
        for (var i = 0; i < 500; i++)
        {
            await writer.CallAsync("SET", $"before:{i}", $"{i}");
        }

        await writer.CallAsync("HSET", "session", "user", "alice");
        await writer.CallAsync("SET", "ttl", "v", "EX", "1000");

        await using var replica = await StateServer.StartAsync(ReplicaOf(master));
        using var stop = new CancellationTokenSource();
        var flowing = Task.Run(async () =>
        {
            // Writes keep flowing during and after the full sync.
            await using var client = await RawClient.ConnectAsync(master.EndPoint);
            long n = 0;
            while (!stop.IsCancellationRequested && n < 20_000)
            {
                await client.CallAsync("INCR", "counter");
                n++;
            }

            return n;
        });
        await WaitForLinkAsync(replica);
        await Task.Delay(300);
        await stop.CancelAsync();
        var total = await flowing;

        await using var reader = await RawClient.ConnectAsync(replica.EndPoint);
        await Wait.UntilAsync(async () => await reader.CallAsync("GET", "counter") as string == total.ToString(System.Globalization.CultureInfo.InvariantCulture), $"the replica's counter reaches {total}");
        Assert.Equal("499", await reader.CallAsync("GET", "before:499"));
        Assert.Equal("alice", await reader.CallAsync("HGET", "session", "user"));
        Assert.InRange((long)(await reader.CallAsync("TTL", "ttl"))!, 990, 1000);

        var info = (string)(await reader.CallAsync("INFO", "replication"))!;
        Assert.Contains("role:slave", info);
        Assert.Contains($"master_port:{master.Port}", info);
        var role = Assert.IsType<object?[]>(await reader.CallAsync("ROLE"));
        Assert.Equal("slave", role[0]);
        Assert.Equal("connected", role[3]);

        // Offsets converge: the replica applies, and the master hears it acknowledge, everything written so far.
        var written = (long)Assert.IsType<object?[]>(await writer.CallAsync("ROLE"))[1]!;
        Assert.True(written > 0);
        await Wait.UntilAsync(
            async () =>
            {
                var masterRole = Assert.IsType<object?[]>(await writer.CallAsync("ROLE"));
                var replicaRole = Assert.IsType<object?[]>(await reader.CallAsync("ROLE"));
                var replicas = Assert.IsType<object?[]>(masterRole[2]);
                return replicas.Length == 1
                    && (long)replicaRole[4]! >= written
                    && long.Parse((string)((object?[])replicas[0]!)[2]!, System.Globalization.CultureInfo.InvariantCulture) >= written;
            },
            "the master sees the replica acknowledge its offset");
        Assert.Contains("slave0:ip=127.0.0.1", (string)(await writer.CallAsync("INFO", "replication"))!);
    }

    [Fact]
    public async Task Replicas_are_read_only_and_replicaof_no_one_promotes()
    {
        await using var master = await StateServer.StartAsync(new StateServerOptions { Port = 0 });
        await using var replica = await StateServer.StartAsync(ReplicaOf(master));
        await WaitForLinkAsync(replica);
        await using var writer = await RawClient.ConnectAsync(master.EndPoint);
        await using var reader = await RawClient.ConnectAsync(replica.EndPoint);
        Assert.Equal("READONLY You can't write against a read only replica.", Assert.IsType<RespError>(await reader.CallAsync("SET", "x", "1")).Message);
        Assert.Equal("PONG", await reader.CallAsync("PING"));

        await writer.CallAsync("SET", "doomed", "1");
        await writer.CallAsync("DEL", "doomed");
        await writer.CallAsync("SET", "before-promotion", "1");
        // The stream is ordered: once the last write is there, the delete before it has been applied.
        await Wait.UntilAsync(async () => await reader.CallAsync("GET", "before-promotion") is "1", "the write reaches the replica");
        Assert.Null(await reader.CallAsync("GET", "doomed"));

        Assert.Equal("OK", await reader.CallAsync("REPLICAOF", "NO", "ONE"));
        Assert.Equal(ReplicationRole.Master, replica.Role);
        Assert.Equal("OK", await reader.CallAsync("SET", "after-promotion", "1"));
        Assert.Equal("1", await reader.CallAsync("GET", "before-promotion"));
        Assert.Equal("master", Assert.IsType<object?[]>(await reader.CallAsync("ROLE"))[0]);

        // The old master can now follow the promoted one.
        Assert.Equal("OK", await writer.CallAsync("REPLICAOF", "127.0.0.1", replica.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        await Wait.UntilAsync(async () => await writer.CallAsync("GET", "after-promotion") is "1", "the old master syncs from the new one");
        Assert.Equal(ReplicationRole.Replica, master.Role);
        await reader.CallAsync("SET", "streamed", "yes");
        await Wait.UntilAsync(async () => await writer.CallAsync("GET", "streamed") is "yes", "writes stream to the demoted master");
    }

    [Fact]
    public async Task Expiry_on_the_master_reaches_the_replica_as_a_delete()
    {
        await using var master = await StateServer.StartAsync(new StateServerOptions { Port = 0 });
        await using var replica = await StateServer.StartAsync(ReplicaOf(master));
        await WaitForLinkAsync(replica);
        await using var writer = await RawClient.ConnectAsync(master.EndPoint);
        await using var reader = await RawClient.ConnectAsync(replica.EndPoint);
        await writer.CallAsync("SET", "short", "v", "PX", "200");
        await Wait.UntilAsync(async () => await reader.CallAsync("EXISTS", "short") is 1L || await writer.CallAsync("EXISTS", "short") is 0L, "the key reaches the replica");
        // The replica holds the key until the master's active expiry sends DEL; DBSIZE shows stored keys.
        await Wait.UntilAsync(async () => await reader.CallAsync("DBSIZE") is 0L, "the master's expiry deletes the key on the replica");
    }

    [Fact]
    public async Task A_broken_link_resumes_with_a_partial_resync()
    {
        await using var master = await StateServer.StartAsync(new StateServerOptions { Port = 0 });
        await using var replica = await StateServer.StartAsync(ReplicaOf(master));
        await WaitForLinkAsync(replica);
        await using var writer = await RawClient.ConnectAsync(master.EndPoint);
        await using var reader = await RawClient.ConnectAsync(replica.EndPoint);
        await writer.CallAsync("SET", "first", "1");
        await Wait.UntilAsync(async () => await reader.CallAsync("GET", "first") is "1", "the first write reaches the replica");

        var clients = (string)(await writer.CallAsync("CLIENT", "LIST"))!;
        var replicaLine = clients.Split('\n').Single(line => line.Contains("flags=S", StringComparison.Ordinal));
        var id = replicaLine.Split(' ')[0]["id=".Length..];
        Assert.Equal(1L, await writer.CallAsync("CLIENT", "KILL", "ID", id));
        await writer.CallAsync("SET", "while-down", "2");

        await Wait.UntilAsync(async () => await reader.CallAsync("GET", "while-down") is "2", "the replica catches up after reconnecting");
        var info = (string)(await reader.CallAsync("INFO", "replication"))!;
        // Still one full sync: the reconnect continued from the backlog (PSYNC +CONTINUE).
        Assert.Contains("master_full_syncs:1", info);
        Assert.Contains("master_link_status:up", info);
    }

    [Fact]
    public async Task A_replica_with_the_password_syncs_from_a_protected_master()
    {
        await using var master = await StateServer.StartAsync(new StateServerOptions { Port = 0, Password = "s3cret" });
        Assert.Equal("OK", await RedisTools.CliAsync(master.EndPoint, "SET protected yes", "s3cret"));
        await using var replica = await StateServer.StartAsync(ReplicaOf(master, "s3cret"));
        await WaitForLinkAsync(replica, "s3cret");
        Assert.Equal("yes", await RedisTools.CliAsync(replica.EndPoint, "GET protected", "s3cret"));
    }

    [Fact]
    public async Task Redis_cli_rdb_gets_a_clear_refusal_instead_of_hanging()
    {
        await using var master = await StateServer.StartAsync(new StateServerOptions { Port = 0 });
        Assert.Equal("OK", await RedisTools.CliAsync(master.EndPoint, "SET k v"));
        var file = Path.Combine(Path.GetTempPath(), $"webfarm-rdb-{Guid.NewGuid():N}.rdb");
        try
        {
            // A hang (the old +FULLRESYNC and a command stream) fails here by the tool's timeout.
            var (exit, output, error) = await RedisTools.RunAsync("redis-cli", $"-p {master.Port} --rdb {file}", timeout: TimeSpan.FromSeconds(30));
            Assert.NotEqual(0, exit);
            Assert.Contains("replicates only to webfarm state replicas", output + error);
        }
        finally
        {
            File.Delete(file);
        }

        // PSYNC from a client that did not announce itself as a WebFarm replica gets the same answer.
        await using var client = await RawClient.ConnectAsync(master.EndPoint);
        Assert.Equal("OK", await client.CallAsync("REPLCONF", "capa", "eof", "capa", "psync2"));
        var refusal = Assert.IsType<RespError>(await client.CallAsync("PSYNC", "?", "-1"));
        Assert.StartsWith("ERR webfarm state replicates only to webfarm state replicas", refusal.Message);
        Assert.Equal("PONG", await client.CallAsync("PING"));

        // WebFarm's own replicas still sync.
        await using var replica = await StateServer.StartAsync(ReplicaOf(master));
        await WaitForLinkAsync(replica);
        Assert.Equal("v", await RedisTools.CliAsync(replica.EndPoint, "GET k"));
    }

    [Fact]
    public async Task A_replica_applies_renames_ranges_and_float_increments_and_notifies_its_own_subscribers()
    {
        await using var master = await StateServer.StartAsync(new StateServerOptions { Port = 0 });
        await using var replica = await StateServer.StartAsync(ReplicaOf(master));
        await WaitForLinkAsync(replica);
        await using var writer = await RawClient.ConnectAsync(master.EndPoint);
        await using var reader = await RawClient.ConnectAsync(replica.EndPoint);
        await using var subscriber = await RawClient.ConnectAsync(replica.EndPoint);
        await reader.CallAsync("CONFIG", "SET", "notify-keyspace-events", "E$g");
        await subscriber.CallAsync("SUBSCRIBE", "__keyevent@0__:rename_to", "announcements");
        await subscriber.ReadReplyAsync();

        await writer.CallAsync("SET", "old", "v", "EX", "1000");
        await writer.CallAsync("RENAME", "old", "new");
        await writer.CallAsync("SETRANGE", "padded", "2", "ab");
        await writer.CallAsync("INCRBYFLOAT", "price", "10.5");
        await writer.CallAsync("INCRBYFLOAT", "price", "0.1");
        await writer.CallAsync("HINCRBYFLOAT", "cart", "total", "2.5");
        await writer.CallAsync("MSETNX", "m1", "1", "m2", "2");
        await writer.CallAsync("SET", "done", "1");

        // PUBLISH on the master reaches a client subscribed on the replica (Redis replicates it too).
        Assert.Equal(0L, await writer.CallAsync("PUBLISH", "announcements", "hello replicas"));
        await Wait.UntilAsync(async () => await reader.CallAsync("GET", "done") is "1", "the replica caught up");
        Assert.Equal(new object?[] { "message", "__keyevent@0__:rename_to", "new" }, await subscriber.ReadReplyAsync());
        Assert.Equal(new object?[] { "message", "announcements", "hello replicas" }, await subscriber.ReadReplyAsync());
        Assert.Null(await reader.CallAsync("GET", "old"));
        Assert.Equal("v", await reader.CallAsync("GET", "new"));
        Assert.InRange((long)(await reader.CallAsync("TTL", "new"))!, 990, 1000);
        Assert.Equal("\0\0ab", await reader.CallAsync("GET", "padded"));
        Assert.Equal("10.6", await reader.CallAsync("GET", "price"));
        Assert.Equal("2.5", await reader.CallAsync("HGET", "cart", "total"));
        Assert.Equal(new object?[] { "1", "2" }, await reader.CallAsync("MGET", "m1", "m2"));
        Assert.Equal("READONLY You can't write against a read only replica.", Assert.IsType<RespError>(await reader.CallAsync("RENAME", "new", "x")).Message);
    }

    [Fact]
    public async Task A_publish_inside_exec_reaches_the_replicas_inside_the_transaction()
    {
        await using var master = await StateServer.StartAsync(new StateServerOptions { Port = 0 });

        // A raw replica link, to see the stream itself: PUBLISH goes to replicas only, and used to arrive before MULTI.
        await using var link = await RawClient.ConnectAsync(master.EndPoint);
        Assert.Equal("OK", await link.CallAsync("REPLCONF", "capa", "webfarm"));
        Assert.StartsWith("FULLRESYNC ", Assert.IsType<string>(await link.CallAsync("PSYNC", "?", "-1")));
        await link.ReadSnapshotAsync();

        await using var writer = await RawClient.ConnectAsync(master.EndPoint);
        Assert.Equal("OK", await writer.CallAsync("MULTI"));
        Assert.Equal("QUEUED", await writer.CallAsync("PUBLISH", "news", "m"));
        Assert.Equal("QUEUED", await writer.CallAsync("SET", "k", "v"));
        Assert.Equal(new object?[] { 0L, "OK" }, await writer.CallAsync("EXEC"));
        Assert.Equal("OK", await writer.CallAsync("SET", "after", "1"));

        var stream = new List<string>();
        while (stream.Count == 0 || stream[^1] != "SET after 1")
        {
            var command = string.Join(' ', Assert.IsType<object?[]>(await link.ReadReplyAsync()));
            if (command != "PING" && !command.StartsWith("SELECT ", StringComparison.Ordinal))
            {
                stream.Add(command);
            }
        }

        Assert.Equal(["MULTI", "PUBLISH news m", "SET k v", "EXEC", "SET after 1"], stream);
    }
}
