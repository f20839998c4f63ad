using WebFarm.Agent.Releases;
using WebFarm.Controller.Tests.Infrastructure;

namespace WebFarm.Controller.Tests.Releases;

/// <summary>Releases end to end: `webfarm deploy`'s upload, the controller's store, three agents installing over loopback HTTP.</summary>
public sealed class ReleaseTransferTests : IDisposable
{
    private static readonly TimeSpan Install = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_second_release_differing_in_one_file_moves_only_that_file_up_once_and_down_once_per_agent()
    {
        await using var farm = await ReleaseFarm.StartAsync(_dir, agents: 3);
        var site = _dir.Sub("site");
        ReleaseFarm.WriteFiles(site, count: 50, bytes: 4096);

        var first = await farm.UploadAsync(TreeInstaller.ReleaseKind, "hello", site, "first");
        Assert.Equal(1, first.Id);
        Assert.Equal(50, first.BlobsSent);
        await Eventually.True(() => farm.Agents.All(a => Directory.Exists(a.Releases.Installer.ReleasePath("hello", 1))), Install, "every agent installs release 1");
        foreach (var agent in farm.Agents)
        {
            Assert.Equal(ReleaseFarm.Snapshot(site), ReleaseFarm.Snapshot(agent.Releases.Installer.ReleasePath("hello", 1)));
        }

        // One file changes; 49 stay the same.
        var changed = Path.Combine(site, "d3", "f0013.txt");
        File.WriteAllText(changed, "version 2 of this page\n");
        var changedBytes = new FileInfo(changed).Length;
        var received = farm.Transfer.BytesReceived;
        var sent = farm.Transfer.BytesSent;
        var fetched = farm.Agents.Select(a => a.Releases.Installer.BytesFetched).ToArray();

        var second = await farm.UploadAsync(TreeInstaller.ReleaseKind, "hello", site, "second");
        Assert.Equal(2, second.Id);
        Assert.Equal(1, second.Changed);
        Assert.Equal(1, second.BlobsSent);
        Assert.Equal(changedBytes, farm.Transfer.BytesReceived - received);
        await Eventually.True(() => farm.Agents.All(a => Directory.Exists(a.Releases.Installer.ReleasePath("hello", 2))), Install, "every agent installs release 2");

        // The controller counts a blob once its response is written, which can be just after the agent has it all.
        await Eventually.True(() => farm.Transfer.BytesSent - sent >= 3 * changedBytes, Install, "the controller counts the three sends");
        Assert.Equal(3 * changedBytes, farm.Transfer.BytesSent - sent);
        for (var i = 0; i < farm.Agents.Length; i++)
        {
            var installer = farm.Agents[i].Releases.Installer;
            Assert.Equal(changedBytes, installer.BytesFetched - fetched[i]);
            Assert.Equal(ReleaseFarm.Snapshot(site), ReleaseFarm.Snapshot(installer.ReleasePath("hello", 2)));
            Assert.True(Directory.Exists(installer.ReleasePath("hello", 1)), "the previous release stays for a rollback");
        }

        // `webfarm releases hello`: newest first, with the message, the change count and where each is.
        await Eventually.True(async () => (await farm.ListAsync(TreeInstaller.ReleaseKind, "hello"))[0].GetProperty("installedOn").GetArrayLength() == 3, Install, "the agents report release 2");
        var list = await farm.ListAsync(TreeInstaller.ReleaseKind, "hello");
        Assert.Equal([2L, 1L], list.Select(r => r.GetProperty("id").GetInt64()));
        Assert.Equal("second", list[0].GetProperty("message").GetString());
        Assert.Equal(1, list[0].GetProperty("changed").GetInt32());
        Assert.Equal(50, list[0].GetProperty("files").GetInt32());
        Assert.Equal(["web1", "web2", "web3"], list[0].GetProperty("installedOn").EnumerateArray().Select(s => s.GetString()));
    }

    [Fact]
    public async Task Only_the_last_releases_are_kept_and_files_no_kept_release_uses_are_removed_from_the_controller()
    {
        await using var farm = await ReleaseFarm.StartAsync(_dir, agents: 0, configure: o => o with { KeepReleases = 2 });
        var site = _dir.Sub("site");
        ReleaseFarm.WriteFiles(site, count: 3, bytes: 100);
        var onlyInFirst = Path.Combine(site, "d0", "f0000.txt");
        var firstHash = await BlobStore.HashFileAsync(onlyInFirst, default);
        var shared = await BlobStore.HashFileAsync(Path.Combine(site, "d1", "f0001.txt"), default);
        await farm.UploadAsync(TreeInstaller.ReleaseKind, "hello", site);
        for (var version = 2; version <= 3; version++)
        {
            File.WriteAllText(onlyInFirst, $"version {version}\n");
            await farm.UploadAsync(TreeInstaller.ReleaseKind, "hello", site);
        }

        var list = await farm.ListAsync(TreeInstaller.ReleaseKind, "hello");
        Assert.Equal([3L, 2L], list.Select(r => r.GetProperty("id").GetInt64()));
        var blobs = farm.Controller.Host.Releases.Blobs;
        Assert.False(blobs.Contains(firstHash), "the blob only release 1 used is removed with it");
        Assert.True(blobs.Contains(shared), "a blob the kept releases use stays");
        Assert.True(blobs.Contains(await BlobStore.HashFileAsync(onlyInFirst, default)));

        // Numbering goes on after a pruned release, also after a restart of the controller.
        await farm.Controller.Host.DisposeAsync();
        await using var restarted = await TestController.StartAsync(_dir.Sub("controller"), configure: o => o with { KeepReleases = 2 });
        File.WriteAllText(onlyInFirst, "version 4\n");
        using var package = await WebFarm.Controller.Releases.Packaging.PackageReader.ReadAsync(site, TreeLimits.Default, null, default);
        var fourth = await WebFarm.Controller.Releases.Packaging.ReleaseUploader.UploadAsync(restarted.Http, TreeInstaller.ReleaseKind, "hello", null, package, default);
        Assert.Equal(4, fourth.Id);
        Assert.Equal(1, fourth.BlobsSent);
    }

    [Fact]
    public async Task Agents_delete_the_releases_the_controller_no_longer_keeps_and_fetch_an_older_one_placed_on_them()
    {
        await using var farm = await ReleaseFarm.StartAsync(_dir, agents: 1, configure: o => o with { KeepReleases = 2 });
        var site = _dir.Sub("site");
        ReleaseFarm.WriteFiles(site, count: 3, bytes: 100);
        var changing = Path.Combine(site, "d0", "f0000.txt");
        var shared = await BlobStore.HashFileAsync(Path.Combine(site, "d1", "f0001.txt"), default);
        var web1 = farm.Agents[0].Releases.Installer;
        var onlyInRelease = new Dictionary<long, string>();
        var running = true; // an instance of release 1 runs on web1 until the test says otherwise
        farm.Agents[0].Releases.InUse = () => running ? [new TreeRef("hello", 1)] : [];
        for (var id = 1L; id <= 3; id++)
        {
            File.WriteAllText(changing, $"version {id}\n");
            onlyInRelease[id] = await BlobStore.HashFileAsync(changing, default);
            Assert.Equal(id, (await farm.UploadAsync(TreeInstaller.ReleaseKind, "hello", site)).Id);
            var path = web1.ReleasePath("hello", id);
            await Eventually.True(() => Directory.Exists(path), Install, $"web1 installs release {id}");
        }

        // The controller keeps 2 and 3, but an instance still runs release 1 (as after a controller lost its data): kept.
        var syncs = farm.Agents[0].Releases.Syncs;
        await Eventually.True(() => farm.Agents[0].Releases.Syncs >= syncs + 2, Install, "two more syncs of web1");
        Assert.True(Directory.Exists(web1.ReleasePath("hello", 1)), "a release an instance runs is never deleted");

        // Once nothing runs it, web1 deletes release 1 and the file only it used, and keeps the rest.
        running = false;
        // The tree goes first and the blobs no tree lists after it (TreeInstaller.Prune), so each is awaited.
        await Eventually.True(() => !Directory.Exists(web1.ReleasePath("hello", 1)), Install, "web1 deletes release 1");
        await Eventually.True(() => !web1.Blobs.Contains(onlyInRelease[1]), Install, "web1 deletes the blob only release 1 used");
        Assert.True(Directory.Exists(web1.ReleasePath("hello", 2)), "a kept release stays for a rollback");
        Assert.True(web1.Blobs.Contains(onlyInRelease[2]));
        Assert.True(web1.Blobs.Contains(shared));
        Assert.Equal(ReleaseFarm.Snapshot(site), ReleaseFarm.Snapshot(web1.ReleasePath("hello", 3)));

        // A server that joins now gets only the newest release; placing the older one on it (a rollback) fetches it,
        // and it is not deleted while placed there.
        var web2 = await farm.Controller.StartAgentAsync("web2", "http://127.0.0.1:12", _dir.Sub("agent2"), await farm.Controller.NewJoinTokenAsync(), null);
        try
        {
            await Eventually.True(() => Directory.Exists(web2.Releases.Installer.ReleasePath("hello", 3)), Install, "web2 installs release 3");
            Assert.False(Directory.Exists(web2.Releases.Installer.ReleasePath("hello", 2)));
            farm.Controller.Host.Role!.Apps.Releases.Set("hello", "web2", new WebFarm.Controller.Deployments.ServerReleases(2, null));
            await Eventually.True(() => Directory.Exists(web2.Releases.Installer.ReleasePath("hello", 2)), Install, "web2 fetches release 2 placed on it");
            syncs = web2.Releases.Syncs;
            await Eventually.True(() => web2.Releases.Syncs >= syncs + 2, Install, "two more syncs of web2");
            Assert.True(Directory.Exists(web2.Releases.Installer.ReleasePath("hello", 2)), "a placed release stays");
        }
        finally
        {
            await web2.DisposeAsync();
        }
    }
}
