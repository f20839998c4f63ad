using System.Diagnostics;
using System.IO.Compression;
using WebFarm.Controller.Tests.Infrastructure;

namespace WebFarm.Controller.Tests.Releases;

/// <summary>`webfarm deploy`, `webfarm releases` and `webfarm content push` as real processes against a real controller: output and exit codes.</summary>
public sealed class DeployCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Deploy_uploads_and_prints_what_it_sent_releases_lists_it_and_a_refused_package_exits_1_with_the_reason()
    {
        await using var controller = await TestController.StartAsync(_dir.Sub("controller"));
        var url = controller.Host.Url.ToString();
        var site = _dir.Sub("site");
        ReleaseFarm.WriteFiles(site, count: 3, bytes: 100);

        var deploy = await RunAsync("deploy", "hello", site, "--message", "first cut", "--controller", url);
        Assert.True(deploy.ExitCode == 0, deploy.Output);
        Assert.Matches(@"release 1 of hello: 3 files, \d+ bytes, 3 changed; sent 3 files \(\d+ bytes\)", deploy.Output);

        var again = await RunAsync("deploy", "hello", site, "--controller", url);
        Assert.True(again.ExitCode == 0, again.Output);
        Assert.Contains("release 2 of hello: 3 files", again.Output);
        Assert.Contains("0 changed; sent 0 files (0 bytes)", again.Output);

        var releases = await RunAsync("releases", "hello", "--controller", url);
        Assert.True(releases.ExitCode == 0, releases.Output);
        Assert.Contains("first cut", releases.Output);

        var archive = _dir.Sub("evil.zip");
        using (var zip = ZipFile.Open(archive, ZipArchiveMode.Create))
        {
            await using var evil = zip.CreateEntry("../evil.txt").Open();
            evil.Write("x"u8);
        }

        var refused = await RunAsync("deploy", "hello", archive, "--controller", url);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("webfarm deploy: refused: evil.zip: '../evil.txt': '..' escapes the release directory", refused.Output);

        var content = await RunAsync("content", "push", "static", site, "--controller", url);
        Assert.True(content.ExitCode == 0, content.Output);
        Assert.Contains("content set static version 1: 3 files", content.Output);
        Assert.Contains("sent 0 files (0 bytes)", content.Output); // the release already brought these blobs

        var badName = await RunAsync("deploy", "-bad name", site, "--controller", url);
        Assert.Equal(1, badName.ExitCode);
        Assert.Contains("answered 400: '-bad name' must be 1-64 characters", badName.Output);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(RepositoryPaths.WebFarmDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        return (process.ExitCode, await stdout + await stderr);
    }
}
