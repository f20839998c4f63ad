using System.Security.Cryptography;
using System.Text.Json;
using WebFarm.Agent.Releases;
using WebFarm.Controller.Tests.Infrastructure;

namespace WebFarm.Controller.Tests.Releases;

/// <summary>
/// What the controller and the agents refuse, with the reason, and that a refused release leaves nothing installed:
/// manifests that escape or hold devices (controller and agent), content that does not match its hash (upload and
/// download), and a release over an agent's own limits.
/// </summary>
public sealed class InstallRefusalTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("../etc/passwd", 420, "'../etc/passwd': '..' escapes the release directory")]
    [InlineData("/etc/passwd", 420, "'/etc/passwd': an absolute path escapes the release directory")]
    [InlineData("a/./b", 420, "'a/./b': '.' segments are not allowed (paths are written in one normal form)")]
    [InlineData("a\\\\..\\\\b", 420, "'a\\..\\b': a backslash is not a path separator here ('/' is); refused so that no platform reads it as one")]
    [InlineData("dev/sda", 0x6000 | 420, "'dev/sda': a block device file is not allowed in a release")]
    [InlineData("run", 0x4000 | 420 | 0x800, "'run': a directory is not a manifest entry (directories follow from the files' paths)")]
    [InlineData("bin/su", 0x800 | 493, "'bin/su': mode 4755: set-user-ID, set-group-ID and sticky bits are not allowed")]
    public async Task The_controller_refuses_a_manifest_that_escapes_or_holds_devices_before_any_upload(string path, int mode, string reason)
    {
        await using var controller = await TestController.StartAsync(_dir.Sub("controller"));
        var body = $$"""{"files":[{"path":"{{path}}","size":1,"mode":{{mode}},"sha256":"{{new string('a', 64)}}"}]}""";
        var (status, error) = await controller.PostAsync("api/blobs/missing", body);
        Assert.Equal(400, status);
        Assert.Equal(reason, error);
        (status, error) = await controller.PostAsync("api/apps/hello/releases", body);
        Assert.Equal(400, status);
        Assert.Equal(reason, error);
        Assert.Equal("[]", await controller.Http.GetStringAsync("api/apps/hello/releases"));
    }

    [Fact]
    public async Task A_blob_whose_content_is_not_its_hash_is_refused_and_not_stored()
    {
        await using var controller = await TestController.StartAsync(_dir.Sub("controller"));
        var claimed = Convert.ToHexStringLower(SHA256.HashData("the real file"u8));
        using var response = await controller.Http.PutAsync($"api/blobs/{claimed}", new ByteArrayContent("a tampered file"u8.ToArray()));
        Assert.Equal(400, (int)response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString();
        Assert.Equal($"blob {claimed}: the content's SHA-256 is {Convert.ToHexStringLower(SHA256.HashData("a tampered file"u8))} (corrupt or not the file the manifest names)", error);
        Assert.False(controller.Host.Releases.Blobs.Contains(claimed));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(controller.Host.Releases.Blobs.Root, ".incoming")));

        var manifest = $$"""{"files":[{"path":"index.html","size":13,"mode":420,"sha256":"{{claimed}}"}]}""";
        var (status, createError) = await controller.PostAsync("api/apps/hello/releases", manifest);
        Assert.Equal(409, status);
        Assert.Equal($"1 blob(s) the manifest names were not uploaded (PUT /api/blobs/SHA256 first): {claimed}", createError);
    }

    [Fact]
    public async Task An_agent_refuses_a_release_over_its_own_limits_before_fetching_anything_and_says_why()
    {
        await using var farm = await ReleaseFarm.StartAsync(_dir, agents: 1, agentLimits: new TreeLimits { MaxFileBytes = 1000, MaxPackageBytes = 1_000_000 });
        var site = _dir.Sub("site");
        ReleaseFarm.WriteFiles(site, count: 3, bytes: 500);
        File.WriteAllText(Path.Combine(site, "big.bin"), new string('x', 5000));
        await farm.UploadAsync(TreeInstaller.ReleaseKind, "hello", site);

        var reason = "'big.bin': 5000 bytes is over the file size limit of 1000 bytes";
        await Eventually.True(async () => (await farm.ListAsync(TreeInstaller.ReleaseKind, "hello"))[0].GetProperty("refusedBy").TryGetProperty("web1", out _), Wait, "web1 reports the refusal");
        var release = (await farm.ListAsync(TreeInstaller.ReleaseKind, "hello"))[0];
        Assert.Equal(reason, release.GetProperty("refusedBy").GetProperty("web1").GetString());
        Assert.Equal(0, release.GetProperty("installedOn").GetArrayLength());

        var installer = farm.Agents[0].Releases.Installer;
        Assert.Equal(0, installer.BytesFetched);
        Assert.Equal(0, farm.Transfer.BlobsSent);
        Assert.False(Directory.Exists(Path.Combine(installer.ReleasesDirectory, "hello")));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task A_blob_corrupted_on_the_controller_is_refused_by_the_agent_and_nothing_is_installed_then_a_good_release_installs()
    {
        // Uploaded before any agent joins, then damaged on the controller's disk (bit rot, a tampered file).
        await using var farm = await ReleaseFarm.StartAsync(_dir, agents: 0);
        var site = _dir.Sub("site");
        ReleaseFarm.WriteFiles(site, count: 5, bytes: 200);
        var damaged = Path.Combine(site, "d2", "f0002.txt");
        var victim = await BlobStore.HashFileAsync(damaged, default);
        await farm.UploadAsync(TreeInstaller.ReleaseKind, "hello", site);
        var blobPath = farm.Controller.Host.Releases.Blobs.PathOf(victim);
        File.SetUnixFileMode(blobPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var rotten = File.ReadAllBytes(blobPath);
        rotten[rotten.Length / 2] ^= 0x20; // one flipped bit: same size, another hash
        File.WriteAllBytes(blobPath, rotten);

        await using var agent = await farm.Controller.StartAgentAsync("web1", "http://127.0.0.1:10", _dir.Sub("agent1"), await farm.Controller.NewJoinTokenAsync());
        var installer = agent.Releases.Installer;
        await Eventually.True(() => agent.Releases.Refused().Count > 0, Wait, "the agent refuses hello #1");
        var refusal = Assert.Single(agent.Releases.Refused());
        Assert.Equal(new TreeFailure("release", "hello", 1, $"blob {victim}: the content's SHA-256 is {Convert.ToHexStringLower(SHA256.HashData(rotten))} (corrupt or not the file the manifest names)"), refusal);
        Assert.False(Directory.Exists(installer.ReleasePath("hello", 1)));
        Assert.False(installer.Blobs.Contains(victim));
        Assert.False(Directory.Exists(Path.Combine(installer.ReleasesDirectory, "hello")), "nothing of the refused release is written");
        await Eventually.True(async () => (await farm.ListAsync(TreeInstaller.ReleaseKind, "hello"))[0].GetProperty("refusedBy").TryGetProperty("web1", out _), Wait, "the controller shows the refusal");

        // The next release (the damaged file replaced) installs, fetching only what the agent lacks.
        File.WriteAllText(damaged, "fixed");
        await farm.UploadAsync(TreeInstaller.ReleaseKind, "hello", site);
        await Eventually.True(() => Directory.Exists(installer.ReleasePath("hello", 2)), Wait, "release 2 installs");
        Assert.Equal(ReleaseFarm.Snapshot(site), ReleaseFarm.Snapshot(installer.ReleasePath("hello", 2)));
    }

    [Fact]
    public async Task The_agent_checks_every_rule_itself_before_writing_even_when_its_controller_serves_a_bad_manifest()
    {
        // A controller that has been tampered with: the agent must not trust it to have checked.
        var evil = new TreeManifest([new ManifestEntry("../../.ssh/authorized_keys", 10, 420, new string('b', 64))]);
        var source = new FixedSource(evil);
        var installer = new TreeInstaller(_dir.Sub("agent"), TreeLimits.Default, source);
        var refused = await Assert.ThrowsAsync<TreeRefusedException>(() => installer.InstallReleaseAsync("hello", 1, default));
        Assert.Equal("'../../.ssh/authorized_keys': '..' escapes the release directory", refused.Message);
        Assert.Equal(0, source.BlobsOpened);
        Assert.False(Directory.Exists(Path.Combine(installer.ReleasesDirectory, "hello")));

        var dotName = await Assert.ThrowsAsync<TreeRefusedException>(() => installer.InstallReleaseAsync("..", 1, default));
        Assert.Equal("app '..' must be 1-64 characters of letters, digits, '-', '_' or '.', not starting with '.'", dotName.Message);
    }

    /// <summary>Serves one manifest and counts blob requests (it has no blobs).</summary>
    private sealed class FixedSource(TreeManifest manifest) : ITreeSource
    {
        public int BlobsOpened { get; private set; }

        public Task<TreeManifest> GetManifestAsync(string kind, string name, long id, CancellationToken cancellationToken) => Task.FromResult(manifest);

        public Task<Stream> OpenBlobAsync(string sha256, CancellationToken cancellationToken)
        {
            BlobsOpened++;
            throw new IOException("no blobs here");
        }
    }
}
