using System.Globalization;
using WebFarm.AspNetCore.Resp;
using WebFarm.AspNetCore.Tests.Infrastructure;

namespace WebFarm.AspNetCore.Tests.Cluster;

/// <summary>
/// Cluster nodes that answer garbage, hang up mid-reply, never answer, send a nonsense slot map or redirect in a loop:
/// each gives a clear error naming the node, within the configured timeouts, never a hang.
/// </summary>
public sealed class HostileClusterNodeTests
{
    // Far above the client's own timeouts (5 s connect, 10 s command): reaching it means the client hung.
    private static readonly TimeSpan HangBound = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("!garbage\r\n", "type byte")]
    [InlineData("HANGUP*1\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n", "closed the connection")]
    [InlineData("*1\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:99999\r\n$5\r\nnodes\r\n*0\r\n", "slots 0-99999")]
    [InlineData("*1\r\n*2\r\n$5\r\nslots\r\n*0\r\n", "no 'slots' or no 'nodes'")]
    [InlineData("*1\r\n:12\r\n", "expected an array")]
    [InlineData("*0\r\n", "no master serving any slot")]
    [InlineData("SILENCE", "CLUSTER got no reply")]
    public async Task A_bad_slot_map_reply_is_a_clear_error_naming_the_node(string shardsReply, string expected)
    {
        await using var node = new ScriptedRespServer(command => command[0] switch
        {
            "INFO" => ScriptedRespServer.ClusterInfo(),
            "CLUSTER" => shardsReply == "SILENCE" ? ScriptedRespServer.Silence
                : shardsReply.StartsWith("HANGUP", StringComparison.Ordinal) ? ScriptedRespServer.HangUpAfter(shardsReply["HANGUP".Length..])
                : ScriptedRespServer.Text(shardsReply),
            _ => ScriptedRespServer.Text("-ERR unexpected\r\n"),
        });
        await using var client = Client(node.EndPoint);
        var error = await Assert.ThrowsAsync<RespConnectionException>(() => client.ExecuteAsync("GET", "k").WaitAsync(HangBound));
        Assert.True(error.Message.Contains(expected, StringComparison.Ordinal), error.Message);
        Assert.Contains(node.EndPoint, error.Message);
        Assert.Contains("cluster slot map", error.Message);
    }

    [Fact]
    public async Task A_redirect_to_a_node_that_hangs_up_mid_reply_fails_that_command_clearly()
    {
        await using var hostile = new ScriptedRespServer(_ => ScriptedRespServer.HangUpAfter("$10\r\nshor"));
        ScriptedRespServer? self = null;
        await using var node = self = new ScriptedRespServer(command => command[0] switch
        {
            "INFO" => ScriptedRespServer.ClusterInfo(),
            "CLUSTER" => Shards(self!.Port),
            _ => ScriptedRespServer.Text($"-MOVED {ClusterSlot("k")} {hostile.EndPoint}\r\n"),
        });
        await using var client = Client(node.EndPoint);
        var error = await Assert.ThrowsAsync<RespConnectionException>(() => client.ExecuteAsync("GET", "k").WaitAsync(HangBound));
        Assert.Contains(hostile.EndPoint, error.Message);
        Assert.Contains("closed the connection", error.Message);
    }

    [Fact]
    public async Task Nodes_redirecting_to_each_other_forever_end_in_an_error_not_a_loop()
    {
        ScriptedRespServer? second = null;
        ScriptedRespServer? self = null;
        await using var first = self = new ScriptedRespServer(command => command[0] switch
        {
            "INFO" => ScriptedRespServer.ClusterInfo(),
            "CLUSTER" => Shards(self!.Port),
            _ => ScriptedRespServer.Text($"-MOVED {ClusterSlot("k")} {second!.EndPoint}\r\n"),
        });
        await using (second = new ScriptedRespServer(_ => ScriptedRespServer.Text($"-MOVED {ClusterSlot("k")} {first.EndPoint}\r\n")))
        {
            await using var client = Client(first.EndPoint);
            var error = await Assert.ThrowsAsync<RespServerException>(() => client.ExecuteAsync("GET", "k").WaitAsync(HangBound));
            Assert.Contains("gave up after 16 redirections", error.Message);
        }
    }

    [Fact]
    public async Task A_node_without_CLUSTER_SHARDS_is_read_through_CLUSTER_SLOTS()
    {
        ScriptedRespServer? self = null;
        await using var node = self = new ScriptedRespServer(command => (command[0], command.Length > 1 ? command[1] : null) switch
        {
            ("INFO", _) => ScriptedRespServer.ClusterInfo(),
            ("CLUSTER", "SHARDS") => ScriptedRespServer.Text("-ERR unknown subcommand 'SHARDS'. Try CLUSTER HELP.\r\n"),
            ("CLUSTER", "SLOTS") => ScriptedRespServer.Text($"*1\r\n*3\r\n:0\r\n:16383\r\n*2\r\n$0\r\n\r\n:{self!.Port}\r\n"),
            ("GET", _) => ScriptedRespServer.Bulk("from-slots-map"),
            _ => ScriptedRespServer.Text("-ERR unexpected\r\n"),
        });
        await using var client = Client(node.EndPoint);
        Assert.Equal("from-slots-map", (await client.ExecuteAsync("GET", "k").WaitAsync(HangBound)).AsString());
        Assert.Equal(RespTopology.Cluster, client.Topology);
        Assert.Equal(node.Port, client.ClusterMap!.ShardFor(0)!.Master.Port);
        Assert.Contains("CLUSTER SLOTS", client.ClusterMap.Source);
    }

    private static int ClusterSlot(string key) => WebFarm.AspNetCore.Resp.Cluster.ClusterKeySlot.Of(key);

    /// <summary>A CLUSTER SHARDS reply with one shard: every slot served by the master at 127.0.0.1:<paramref name="port"/>.</summary>
    private static ScriptedReply Shards(int port) => ScriptedRespServer.Text(
        "*1\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:16383\r\n$5\r\nnodes\r\n*1\r\n*6\r\n" +
        $"$4\r\nport\r\n:{port}\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n");

    private static RespClient Client(string endPoint)
    {
        var options = new RespClientOptions
        {
            Topology = RespTopology.Auto,
            ConnectionCount = 1,
            // Generous for a cold process: whichever case runs first pays the JIT inside the deadline (measured ~400 ms
            // from start to the first reply on a quiet machine), and the slot-map read is bounded by ConnectTimeout. With
            // 1 s, a loaded CI machine turned the hang-up case into a timeout. Only the silent node waits this out.
            ConnectTimeout = TimeSpan.FromSeconds(5),
            CommandTimeout = TimeSpan.FromSeconds(10),
            MaxReconnectBackoff = TimeSpan.FromMilliseconds(200),
        };
        options.EndPoints.Add(endPoint);
        return new RespClient(options);
    }
}
