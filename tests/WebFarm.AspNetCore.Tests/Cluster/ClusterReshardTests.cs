using System.Globalization;
using WebFarm.AspNetCore.Health;
using WebFarm.AspNetCore.Tests.Infrastructure;
using Xunit.Abstractions;

namespace WebFarm.AspNetCore.Tests.Cluster;

/// <summary>Slots move with <c>redis-cli --cluster reshard</c> while two apps read and write sessions: no failed request, no lost write.</summary>
public sealed class ClusterReshardTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Moving_every_slot_of_a_master_under_load_fails_no_request_and_loses_no_write()
    {
        await using var farm = await ClusterFarm.StartAsync();
        await using var load = new SessionLoad(farm.First, farm.Second, users: 24);
        await load.StartAsync(maxRounds: 1_000_000, maxTime: TimeSpan.FromSeconds(240));
        await load.WaitForEveryUserAsync(2, TimeSpan.FromSeconds(30), "load before the reshard");

        // Move all slots of the master holding the most sessions, so sessions certainly migrate while in use.
        var source = await farm.MasterWithMostSessionsAsync();
        var nodes = await farm.Cluster.NodesAsync();
        var from = nodes.Single(n => n.Port == source.Port);
        var to = nodes.First(n => n.IsMaster && n.Port != source.Port);
        int slots = from.Slots.Sum(range =>
        {
            var bounds = range.Split('-');
            return bounds.Length == 1 ? 1 : int.Parse(bounds[1], CultureInfo.InvariantCulture) - int.Parse(bounds[0], CultureInfo.InvariantCulture) + 1;
        });
        await ProcessRunner.RunAsync("redis-cli",
            ["--cluster", "reshard", source.EndPoint, "--cluster-from", from.Id, "--cluster-to", to.Id,
             "--cluster-slots", slots.ToString(CultureInfo.InvariantCulture), "--cluster-yes"],
            TimeSpan.FromSeconds(180));
        Assert.Empty((await farm.Cluster.NodesAsync()).Single(n => n.Id == from.Id).Slots);

        await load.WaitForEveryUserAsync(2, TimeSpan.FromSeconds(30), "every user to succeed after the reshard");
        output.WriteLine($"{load.Successes} ok, {load.Failures} failed; redirections: moved {farm.FirstClient.Statistics.MovedRedirections}, ask {farm.FirstClient.Statistics.AskRedirections}; map reads {farm.FirstClient.Statistics.SlotMapRefreshes}");
        Assert.Equal(0, load.Failures);
        Assert.Empty(load.LostWrites);

        // The apps followed the slots (MOVED), and the metrics say so.
        Assert.True(ObservableCounterReader.Read(farm.First.App.Services, WebFarmMetrics.RedirectionsCounterName, "kind", "moved") > 0);
        Assert.True(ObservableCounterReader.Read(farm.First.App.Services, WebFarmMetrics.SlotMapRefreshesCounterName, "result", "ok") >= 2);
        Assert.Equal(to.Port, farm.FirstClient.ClusterMap!.ShardFor(int.Parse(from.Slots[0].Split('-')[0], CultureInfo.InvariantCulture))!.Master.Port);
    }
}
