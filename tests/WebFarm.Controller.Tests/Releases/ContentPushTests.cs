using WebFarm.Agent.Releases;
using WebFarm.Controller.Tests.Infrastructure;

namespace WebFarm.Controller.Tests.Releases;

/// <summary>`webfarm content push`: a named folder mirrored to every agent, only changed files moved, swapped atomically.</summary>
public sealed class ContentPushTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(120);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_thousand_files_reach_every_agent_then_a_push_with_one_changed_file_moves_only_that_file_and_swaps_the_set()
    {
        await using var farm = await ReleaseFarm.StartAsync(_dir, agents: 2);
        var folder = _dir.Sub("static");
        ReleaseFarm.WriteFiles(folder, count: 1000, bytes: 256);

        var first = await farm.UploadAsync(TreeInstaller.ContentKind, "static", folder);
        Assert.Equal(1000, first.BlobsSent);
        await Eventually.True(() => farm.Agents.All(a => a.Releases.Installer.InstalledContent().Contains(new TreeRef("static", 1))), Wait, "both agents hold version 1");
        foreach (var agent in farm.Agents)
        {
            Assert.Equal(ReleaseFarm.Snapshot(folder), ReleaseFarm.Snapshot(agent.Releases.Installer.ContentPath("static")));
        }

        var changed = Path.Combine(folder, "d7", "f0517.txt");
        File.WriteAllText(changed, "the one file that changed\n");
        var size = new FileInfo(changed).Length;
        var received = farm.Transfer.BytesReceived;
        var sent = farm.Transfer.BlobsSent;
        var sentBytes = farm.Transfer.BytesSent;
        var fetched = farm.Agents.Select(a => a.Releases.Installer.BlobsFetched).ToArray();

        var second = await farm.UploadAsync(TreeInstaller.ContentKind, "static", folder);
        Assert.Equal(2, second.Id);
        Assert.Equal(1, second.Changed);
        Assert.Equal(1, second.BlobsSent);
        Assert.Equal(size, farm.Transfer.BytesReceived - received);
        await Eventually.True(() => farm.Agents.All(a => a.Releases.Installer.InstalledContent().Contains(new TreeRef("static", 2))), Wait, "both agents swap to version 2");

        // The controller counts a blob once its response is written, which can be just after the agent has it all.
        await Eventually.True(() => farm.Transfer.BlobsSent - sent >= 2, Wait, "the controller counts both sends");
        Assert.Equal(2, farm.Transfer.BlobsSent - sent);
        Assert.Equal(2 * size, farm.Transfer.BytesSent - sentBytes);
        for (var i = 0; i < farm.Agents.Length; i++)
        {
            var installer = farm.Agents[i].Releases.Installer;
            Assert.Equal(1, installer.BlobsFetched - fetched[i]);
            var path = installer.ContentPath("static");
            Assert.Equal(Path.Combine(".versions", "static", "2"), new FileInfo(path).LinkTarget);
            Assert.Equal(ReleaseFarm.Snapshot(folder), ReleaseFarm.Snapshot(path));

            // The old version is deleted right after the link points at the new one (awaited: the swap is visible
            // first, by design); nothing staged is left behind.
            var versions = Path.Combine(installer.ContentDirectory, ".versions", "static");
            await Eventually.True(() => Directory.EnumerateDirectories(versions).Select(Path.GetFileName).SequenceEqual(["2"]), Wait, "version 1 is removed after the swap");
            Assert.Empty(Directory.EnumerateFileSystemEntries(installer.ContentDirectory, StagedTree.IncomingPrefix + "*"));
        }
    }
}
