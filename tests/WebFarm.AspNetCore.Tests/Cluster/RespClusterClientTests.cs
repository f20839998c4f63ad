using System.Globalization;
using WebFarm.AspNetCore.Resp;
using WebFarm.AspNetCore.Resp.Cluster;
using WebFarm.AspNetCore.Tests.Infrastructure;

namespace WebFarm.AspNetCore.Tests.Cluster;

/// <summary>The RESP client against a real 3-master, 3-replica Redis Cluster: detection, routing, the slot map, hashing.</summary>
public sealed class RespClusterClientTests(RedisClusterFixture fixture) : IClassFixture<RedisClusterFixture>
{
    private RedisCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task One_seed_is_enough_the_cluster_is_detected_and_every_key_lands_on_the_master_of_its_slot()
    {
        await using var client = Client(RespTopology.Auto, Cluster.Nodes[0].EndPoint);
        Assert.Equal(RespTopology.Auto, client.Topology);
        var keys = Enumerable.Range(0, 300).Select(i => $"route-test:{i}:{Guid.NewGuid():N}").ToArray();
        foreach (var key in keys)
        {
            Assert.Equal("OK", (await client.ExecuteAsync("SET", key, "v-" + key)).AsString());
        }

        Assert.Equal(RespTopology.Cluster, client.Topology);
        var map = client.ClusterMap!;
        Assert.Equal(3, map.Shards.Count);
        Assert.Empty(map.Uncovered);

        // The key really is on the master the map names: redis-cli without -c gets the value, not MOVED.
        foreach (var key in keys.Take(30))
        {
            var owner = Cluster.NodeOnPort(map.ShardFor(ClusterKeySlot.Of(key))!.Master.Port);
            Assert.Equal("v-" + key, await owner.CliAsync("GET", key));
            Assert.Equal("v-" + key, (await client.ExecuteAsync("GET", key)).AsString());
        }

        // 300 random keys over 3 masters: every master got some.
        Assert.All(map.Shards, shard => Assert.Contains(keys, k => map.ShardFor(ClusterKeySlot.Of(k)) == shard));
    }

    [Fact]
    public async Task Key_hashing_matches_CLUSTER_KEYSLOT_of_the_real_server()
    {
        string[] keys =
        [
            "", "a", "foo", "bar", "123456789", "user:1000", "{user1000}.following", "{user1000}.followers",
            "foo{}{bar}", "foo{{bar}}zap", "foo{bar}{zap}", "{}", "{", "}", "a{b", "a}b{c}", "{a}b", "x{}y",
            "Ünïcödé-ключ-キー", "FarmTestApp:DataProtection-Keys", "session:" + new string('x', 300),
        ];
        var node = Cluster.Nodes[0];
        foreach (var key in keys)
        {
            int expected = int.Parse(await node.CliAsync("CLUSTER", "KEYSLOT", key), CultureInfo.InvariantCulture);
            Assert.True(expected == ClusterKeySlot.Of(key), $"key '{key}': server says slot {expected}, client {ClusterKeySlot.Of(key)}");
        }

        // The CRC16-XMODEM check value.
        Assert.Equal(0x31C3, ClusterKeySlot.Crc16("123456789"u8));
    }

    [Fact]
    public async Task CLUSTER_SLOTS_fallback_reads_the_same_routing_as_CLUSTER_SHARDS()
    {
        await using var client = Client(RespTopology.Primary, Cluster.Nodes[0].EndPoint);
        var answeredBy = RespEndPoint.Parse(Cluster.Nodes[0].EndPoint, "test");
        var fromShards = ClusterSlotMapParser.FromShards(await client.ExecuteAsync("CLUSTER", "SHARDS"), answeredBy);
        var fromSlots = ClusterSlotMapParser.FromSlots(await client.ExecuteAsync("CLUSTER", "SLOTS"), answeredBy);
        Assert.Equal(3, fromShards.Shards.Count);
        Assert.Equal(3, fromSlots.Shards.Count);
        Assert.True(fromShards.RoutesLike(fromSlots), $"SHARDS: {fromShards}\nSLOTS: {fromSlots}");

        // And both agree with CLUSTER NODES.
        foreach (var node in (await Cluster.NodesAsync()).Where(n => n.IsMaster))
        {
            var range = node.Slots.Single().Split('-');
            int start = int.Parse(range[0], CultureInfo.InvariantCulture);
            Assert.Equal(node.Port, fromShards.ShardFor(start)!.Master.Port);
        }
    }

    [Fact]
    public async Task A_batch_whose_keys_hash_to_different_slots_is_refused_with_advice_and_a_hash_tag_keeps_them_together()
    {
        await using var client = Client(RespTopology.Cluster, Cluster.Nodes[1].EndPoint);
        Assert.NotEqual(ClusterKeySlot.Of("cart:1"), ClusterKeySlot.Of("profile:1"));
        var error = await Assert.ThrowsAsync<ArgumentException>(() => client.ExecuteBatchAsync(
            [RespCommand.Create("SET", "cart:1", "a"), RespCommand.Create("SET", "profile:1", "b")]));
        Assert.Contains("one hash slot", error.Message);
        Assert.Contains("hash tag", error.Message);

        var replies = await client.ExecuteBatchAsync(
            [RespCommand.Create("SET", "{user1}:cart", "a"), RespCommand.Create("SET", "{user1}:profile", "b"), RespCommand.Create("MGET", "{user1}:cart", "{user1}:profile")]);
        Assert.Equal(["a", "b"], replies[2].Items.Select(v => v.AsString()));
    }

    [Fact]
    public async Task ASK_during_a_migration_sends_ASKING_before_each_command_of_a_batch_to_the_importing_node()
    {
        await using var client = Client(RespTopology.Cluster, Cluster.Nodes[0].EndPoint);
        string key = "ask-test:" + Guid.NewGuid().ToString("N");
        int slot = ClusterKeySlot.Of(key);
        await client.ExecuteAsync("SET", "warm-up", "1");
        var nodes = await Cluster.NodesAsync();
        int sourcePort = client.ClusterMap!.ShardFor(slot)!.Master.Port;
        var source = nodes.Single(n => n.Port == sourcePort);
        var target = nodes.First(n => n.IsMaster && n.Port != sourcePort);
        string slotText = slot.ToString(CultureInfo.InvariantCulture);
        await Cluster.NodeOnPort(target.Port).CliAsync("CLUSTER", "SETSLOT", slotText, "IMPORTING", source.Id);
        await Cluster.NodeOnPort(source.Port).CliAsync("CLUSTER", "SETSLOT", slotText, "MIGRATING", target.Id);
        try
        {
            // The key is not at the source, so the source answers ASK; the batch must land at the target, in order.
            var replies = await client.ExecuteBatchAsync([RespCommand.Create("HSET", key, "data", "x"), RespCommand.Create("PEXPIRE", key, 600_000)]);
            Assert.Equal(1, replies[0].Integer);
            Assert.Equal(1, replies[1].Integer);
            Assert.True(client.Statistics.AskRedirections >= 1);
            Assert.Equal("0", await Cluster.NodeOnPort(source.Port).CliAsync("CLUSTER", "COUNTKEYSINSLOT", slotText));
            Assert.Equal("1", await Cluster.NodeOnPort(target.Port).CliAsync("CLUSTER", "COUNTKEYSINSLOT", slotText));
            long ttl = (await client.ExecuteAsync("PTTL", key)).Integer;
            Assert.InRange(ttl, 1, 600_000);
            Assert.Equal("x", (await client.ExecuteAsync("HGET", key, "data")).AsString());
        }
        finally
        {
            await client.ExecuteAsync("DEL", key); // through ASK again: the key lives at the importing node
            await Cluster.NodeOnPort(source.Port).CliAsync("CLUSTER", "SETSLOT", slotText, "STABLE");
            await Cluster.NodeOnPort(target.Port).CliAsync("CLUSTER", "SETSLOT", slotText, "STABLE");
        }
    }

    [Fact]
    public async Task Ping_checks_every_master()
    {
        await using var client = Client(RespTopology.Auto, Cluster.Nodes[2].EndPoint);
        await client.PingAsync();
        Assert.Equal(RespTopology.Cluster, client.Topology);
        Assert.Equal(3, client.ClusterMap!.Shards.Count);
        Assert.True(client.Statistics.SlotMapRefreshes >= 1);
    }

    [Fact]
    public async Task A_state_server_is_detected_as_a_single_primary()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var client = Client(RespTopology.Auto, redis.EndPoint);
        await client.ExecuteAsync("SET", "k", "v");
        Assert.Equal(RespTopology.Primary, client.Topology);
        Assert.Null(client.ClusterMap);
    }

    [Fact]
    public async Task A_cluster_with_a_password_authenticates_every_node_connection()
    {
        await using var secured = await RedisCluster.StartAsync(password: "s3cret");
        await using (var anonymous = Client(RespTopology.Auto, secured.Nodes[0].EndPoint))
        {
            var refused = await Assert.ThrowsAsync<RespServerException>(() => anonymous.ExecuteAsync("SET", "k", "v"));
            Assert.StartsWith("NOAUTH", refused.ServerMessage);
        }

        var options = new RespClientOptions { Password = "s3cret", CommandTimeout = TimeSpan.FromSeconds(10) };
        options.EndPoints.Add(secured.Nodes[0].EndPoint);
        await using var client = new RespClient(options);
        var keys = Enumerable.Range(0, 60).Select(i => "auth-" + i).ToArray();
        foreach (var key in keys)
        {
            await client.ExecuteAsync("SET", key, key);
        }

        Assert.Equal(RespTopology.Cluster, client.Topology);
        Assert.Equal(3, keys.Select(k => client.ClusterMap!.ShardFor(ClusterKeySlot.Of(k))!.Master).Distinct().Count());
        foreach (var key in keys)
        {
            Assert.Equal(key, (await client.ExecuteAsync("GET", key)).AsString());
        }
    }

    internal static RespClient Client(RespTopology topology, params string[] endPoints)
    {
        var options = new RespClientOptions { Topology = topology, CommandTimeout = TimeSpan.FromSeconds(10) };
        foreach (var endPoint in endPoints)
        {
            options.EndPoints.Add(endPoint);
        }

        return new RespClient(options);
    }
}
