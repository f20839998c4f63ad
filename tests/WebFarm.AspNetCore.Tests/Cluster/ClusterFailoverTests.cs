using WebFarm.AspNetCore.Tests.Infrastructure;
using Xunit.Abstractions;

namespace WebFarm.AspNetCore.Tests.Cluster;

/// <summary>
/// kill -9 of a master while two apps read and write sessions (each write confirmed by a replica): its replica takes
/// over, nothing acknowledged is lost, and requests recover once the killed node is back as a replica.
/// </summary>
public sealed class ClusterFailoverTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Killing_a_master_loses_no_acknowledged_session_write_and_requests_recover()
    {
        // Redis replicates asynchronously: only a write its replica confirmed (WAIT) survives the master's kill for sure.
        await using var farm = await ClusterFarm.StartAsync(writeReplicas: 1);
        // Bounds: far more rounds than a fast machine runs in the time bound, and a time bound far above the phases' waits.
        await using var load = new SessionLoad(farm.First, farm.Second, users: 16);
        await load.StartAsync(maxRounds: 1_000_000, maxTime: TimeSpan.FromSeconds(150));
        await load.WaitForEveryUserAsync(3, TimeSpan.FromSeconds(30), "load before the kill");

        var victim = await farm.MasterWithMostSessionsAsync();
        var before = (await farm.Cluster.NodesAsync()).Single(n => n.Port == victim.Port);
        await victim.KillAsync();

        // Its replica is promoted and serves the victim's slots.
        var survivor = farm.Cluster.Nodes.First(n => n.IsRunning);
        await Eventually.ReturnsAsync(
            () => survivor.CliAsync("CLUSTER", "NODES"),
            nodes => ClusterNodeInfo.Parse(nodes).Any(n => n.IsMaster && !n.IsFailed && n.Port != victim.Port && n.Slots.SequenceEqual(before.Slots)),
            TimeSpan.FromSeconds(30), $"a replica to take over slots {string.Join(',', before.Slots)} of {victim.EndPoint}");

        // Both apps' clients route the victim's slots to the promoted replica before it comes back, the reading app's
        // too, which sends nothing there while the writes to those slots fail: a restarted master serves its older,
        // persisted data until gossip demotes it, so a client still holding the old map would read a stale session.
        // The clients' periodic map refresh is what makes the idle one converge.
        int firstSlot = int.Parse(before.Slots[0].Split('-')[0], System.Globalization.CultureInfo.InvariantCulture);
        await Eventually.ReturnsAsync(
            () => Task.FromResult(MastersFor(farm, firstSlot)),
            masters => !masters.Contains(victim.Port),
            TimeSpan.FromSeconds(30),
            $"both apps' clients to route slot {firstSlot} away from {victim.EndPoint}");

        // The killed node comes back (as a supervisor would restart it) and rejoins as the new master's replica, so
        // writes to those slots can be confirmed again.
        await victim.RestartAsync();

        // Requests recover: every user (about a third of them on the victim's slots) reads and writes again.
        await load.WaitForEveryUserAsync(3, TimeSpan.FromSeconds(30), "every user to succeed again after the failover");
        Assert.Empty(load.LostWrites);

        // The client's map still routes the victim's slots to the promoted replica.
        Assert.NotEqual(victim.Port, farm.FirstClient.ClusterMap!.ShardFor(firstSlot)!.Master.Port);
        output.WriteLine($"{load.Successes} ok, {load.Failures} failed requests (during the failover); last errors: {load.LastErrors}");
    }

    /// <summary>The port each app's client routes <paramref name="slot"/> to (0: no map yet).</summary>
    private static List<int> MastersFor(ClusterFarm farm, int slot)
    {
        var ports = new List<int>();
        foreach (var app in new[] { farm.First, farm.Second })
        {
            var client = (WebFarm.AspNetCore.Resp.RespClient)app.App.Services.GetService(typeof(WebFarm.AspNetCore.Resp.RespClient))!;
            ports.Add(client.ClusterMap?.ShardFor(slot)?.Master.Port ?? 0);
        }

        return ports;
    }
}
