using System.Diagnostics;
using WebFarm.Agent.Releases;
using WebFarm.Controller.Tests.Infrastructure;

namespace WebFarm.Controller.Tests.Releases;

/// <summary>A release directory appears whole or not at all: a transfer cut short (cancelled, or the agent killed with SIGKILL) leaves no releases/APP/ID.</summary>
public sealed class AtomicInstallTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(120);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task An_install_cut_short_mid_transfer_leaves_no_release_directory_and_the_next_attempt_completes_it()
    {
        await using var farm = await ReleaseFarm.StartAsync(_dir, agents: 0);
        var site = _dir.Sub("site");
        ReleaseFarm.WriteFiles(site, count: 40, bytes: 1000);
        await farm.UploadAsync(TreeInstaller.ReleaseKind, "hello", site);

        // The agent's own installer and its controller client over HTTP; the source stops at the 20th blob until cancelled.
        // Joined, then stopped (its own loop would install the release): the credential stays in agent1.
        await (await farm.Controller.StartAgentAsync("web1", "http://127.0.0.1:10", _dir.Sub("agent1"), await farm.Controller.NewJoinTokenAsync())).DisposeAsync();
        using var client = new WebFarm.Agent.Control.ControllerClient([farm.Controller.Host.Url], TimeSpan.FromSeconds(30));
        var credential = WebFarm.Agent.Control.AgentCredential.Load(_dir.Sub("agent1"))!.Credential;
        var stalling = new StallingSource(client, credential, stallAt: 20);
        var dataDirectory = _dir.Sub("agent-cut");
        var installer = new TreeInstaller(dataDirectory, TreeLimits.Default, stalling);
        using var cut = new CancellationTokenSource();
        var install = installer.InstallReleaseAsync("hello", 1, cut.Token);
        await stalling.Stalled.Task.WaitAsync(Wait);
        Assert.False(Directory.Exists(installer.ReleasePath("hello", 1)), "nothing is visible while the transfer runs");
        await cut.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => install);
        Assert.False(Directory.Exists(installer.ReleasePath("hello", 1)));

        // A restart (a new installer on the same directory) fetches only what is missing and completes the release.
        var fetchedBefore = Directory.EnumerateFiles(installer.Blobs.Root, "*", SearchOption.AllDirectories).Count();
        var again = new TreeInstaller(dataDirectory, TreeLimits.Default, new StallingSource(client, credential, stallAt: int.MaxValue));
        await again.InstallReleaseAsync("hello", 1, default);
        Assert.Equal(40 - fetchedBefore, again.BlobsFetched);
        Assert.Equal(ReleaseFarm.Snapshot(site), ReleaseFarm.Snapshot(again.ReleasePath("hello", 1)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(again.ReleasesDirectory, "hello"), StagedTree.IncomingPrefix + "*"));
    }

    [Fact]
    public async Task An_agent_process_killed_with_sigkill_mid_install_leaves_no_release_directory_and_installs_it_whole_after_a_restart()
    {
        await using var farm = await ReleaseFarm.StartAsync(_dir, agents: 0);
        var site = _dir.Sub("site");
        ReleaseFarm.WriteFiles(site, count: 3000, bytes: 2048);
        await farm.UploadAsync(TreeInstaller.ReleaseKind, "hello", site);
        var data = _dir.Sub("agent1");
        var release = Path.Combine(data, "releases", "hello", "1");
        var blobs = Path.Combine(data, "blobs");

        var killed = false;
        using (var agent = StartAgent(farm, data, await farm.Controller.NewJoinTokenAsync()))
        {
            // Killed as soon as some blobs have arrived: the transfer of 3,000 files is then well under way.
            await Eventually.True(() => Directory.Exists(blobs) && Directory.EnumerateFiles(blobs, "*", SearchOption.AllDirectories).Take(50).Count() == 50, Wait, "the agent fetches blobs");
            killed = !Directory.Exists(release);
            ProcessProbe.Signal(agent.Id, "KILL");
            await agent.WaitForExitAsync().WaitAsync(Wait);
        }

        Assert.True(killed, "the install was still running when the agent was killed (otherwise this test proves nothing)");
        Assert.False(Directory.Exists(release), "a killed install leaves no releases/hello/1");

        using (var restarted = StartAgent(farm, data, joinToken: null))
        {
            try
            {
                await Eventually.True(() => Directory.Exists(release), Wait, "the restarted agent completes the release");
                Assert.Equal(ReleaseFarm.Snapshot(site), ReleaseFarm.Snapshot(release));
                Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(data, "releases", "hello"), StagedTree.IncomingPrefix + "*"));
                Assert.Empty(Directory.EnumerateFiles(Path.Combine(blobs, ".incoming")));
            }
            finally
            {
                ProcessProbe.Signal(restarted.Id, "TERM");
                await restarted.WaitForExitAsync().WaitAsync(Wait);
            }
        }
    }

    private static Process StartAgent(ReleaseFarm farm, string data, string? joinToken)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])[RepositoryPaths.WebFarmDll, "agent", "--controller", farm.Controller.Host.Url.ToString(), "--name", "web1", "--address", "http://127.0.0.1:10", "--data-dir", data, .. joinToken is null ? Array.Empty<string>() : ["--join-token", joinToken]])
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>The controller over HTTP, except that the blob at position <c>stallAt</c> waits until the install is cancelled.</summary>
    private sealed class StallingSource(WebFarm.Agent.Control.ControllerClient client, string credential, int stallAt) : ITreeSource
    {
        private int _opened;

        public TaskCompletionSource Stalled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<TreeManifest> GetManifestAsync(string kind, string name, long id, CancellationToken cancellationToken)
            => client.GetManifestAsync(credential, kind, name, id, cancellationToken);

        public async Task<Stream> OpenBlobAsync(string sha256, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _opened) >= stallAt)
            {
                Stalled.TrySetResult();
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            return await client.OpenBlobAsync(credential, sha256, cancellationToken);
        }
    }
}
