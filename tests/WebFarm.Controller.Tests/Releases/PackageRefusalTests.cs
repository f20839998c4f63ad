using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using WebFarm.Agent.Releases;
using WebFarm.Controller.Releases.Packaging;
using WebFarm.Controller.Tests.Infrastructure;

namespace WebFarm.Controller.Tests.Releases;

/// <summary>
/// What `webfarm deploy` refuses while reading a package, before anything is uploaded: each with the entry and the
/// reason, and nothing written outside the unpacking directory. Archives are made by the real tools where they can
/// make them (tar, ln); the ones no honest tool writes (zip-slip, device entries) by the archive libraries.
/// </summary>
public sealed class PackageRefusalTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_zip_slip_entry_is_refused_and_nothing_is_written_outside()
    {
        var archive = _dir.Sub("evil.zip");
        using (var zip = ZipFile.Open(archive, ZipArchiveMode.Create))
        {
            await using (var ok = zip.CreateEntry("index.html").Open())
            {
                ok.Write("ok"u8);
            }

            await using var evil = zip.CreateEntry("../../evil.txt").Open();
            evil.Write("pwned"u8);
        }

        var refused = await Assert.ThrowsAsync<TreeRefusedException>(() => PackageReader.ReadAsync(archive, TreeLimits.Default, null, default));
        Assert.Equal("evil.zip: '../../evil.txt': '..' escapes the release directory", refused.Message);
        Assert.Empty(Directory.EnumerateFiles(Path.GetTempPath(), "evil.txt"));
        Assert.False(File.Exists(Path.Combine(Path.GetTempPath(), "..", "evil.txt")));
    }

    [Fact]
    public async Task An_absolute_path_in_a_tar_is_refused()
    {
        var archive = _dir.Sub("abs.tar.gz");
        await WriteTarGzAsync(archive, new PaxTarEntry(TarEntryType.RegularFile, "/etc/cron.d/evil") { DataStream = new MemoryStream("x"u8.ToArray()) });
        var refused = await Assert.ThrowsAsync<TreeRefusedException>(() => PackageReader.ReadAsync(archive, TreeLimits.Default, null, default));
        Assert.Equal("abs.tar.gz: '/etc/cron.d/evil': an absolute path escapes the release directory", refused.Message);
    }

    [Fact]
    public async Task A_symlink_pointing_outside_is_refused_in_a_folder_and_in_a_tar_made_by_tar_and_one_inside_is_stored_as_its_file()
    {
        var site = _dir.Sub("site");
        Directory.CreateDirectory(site);
        File.WriteAllText(Path.Combine(site, "index.html"), "hello");
        File.CreateSymbolicLink(Path.Combine(site, "same.html"), "index.html");
        using (var package = await PackageReader.ReadAsync(site, TreeLimits.Default, null, default))
        {
            Assert.Equal(["index.html", "same.html"], package.Manifest.Files.Select(f => f.Path));
            Assert.Equal(package.Manifest.Files[0].Sha256, package.Manifest.Files[1].Sha256);
        }

        File.CreateSymbolicLink(Path.Combine(site, "secrets"), "/etc/passwd");
        var folder = await Assert.ThrowsAsync<TreeRefusedException>(() => PackageReader.ReadAsync(site, TreeLimits.Default, null, default));
        Assert.Equal("'secrets': a symbolic link pointing outside the package (to /etc/passwd)", folder.Message);

        var archive = _dir.Sub("site.tar.gz");
        Run("tar", "czf", archive, "-C", site, ".");
        var tar = await Assert.ThrowsAsync<TreeRefusedException>(() => PackageReader.ReadAsync(archive, TreeLimits.Default, null, default));
        Assert.Equal("site.tar.gz: 'secrets': a symbolic link pointing outside the package (to '/etc/passwd')", tar.Message);

        File.Delete(Path.Combine(site, "secrets"));
        File.CreateSymbolicLink(Path.Combine(site, "up"), "../../x");
        var relative = _dir.Sub("relative.tar.gz");
        Run("tar", "czf", relative, "-C", site, ".");
        var up = await Assert.ThrowsAsync<TreeRefusedException>(() => PackageReader.ReadAsync(relative, TreeLimits.Default, null, default));
        Assert.Equal("relative.tar.gz: 'up': a symbolic link pointing outside the package (to '../../x')", up.Message);
    }

    [Fact]
    public async Task A_device_file_in_a_tar_is_refused()
    {
        var archive = _dir.Sub("dev.tar.gz");
        await WriteTarGzAsync(archive, new PaxTarEntry(TarEntryType.CharacterDevice, "dev/null") { DeviceMajor = 1, DeviceMinor = 3 });
        var refused = await Assert.ThrowsAsync<TreeRefusedException>(() => PackageReader.ReadAsync(archive, TreeLimits.Default, null, default));
        Assert.Equal("dev.tar.gz: 'dev/null': a character device file is not allowed in a release", refused.Message);
    }

    [Fact]
    public async Task A_fifo_in_a_folder_is_refused()
    {
        var site = _dir.Sub("site");
        Directory.CreateDirectory(site);
        Run("mkfifo", Path.Combine(site, "pipe"));
        var refused = await Assert.ThrowsAsync<TreeRefusedException>(() => PackageReader.ReadAsync(site, TreeLimits.Default, null, default));
        Assert.Equal("'pipe': a FIFO is not allowed in a release", refused.Message);
    }

    [Fact]
    public async Task An_oversized_file_or_package_is_refused_with_the_limit_from_a_folder_and_from_a_zip()
    {
        var site = _dir.Sub("site");
        ReleaseFarm.WriteFiles(site, count: 4, bytes: 1000);
        var limits = new TreeLimits { MaxFileBytes = 500, MaxPackageBytes = 10_000 };
        var file = await Assert.ThrowsAsync<TreeRefusedException>(() => PackageReader.ReadAsync(site, limits, null, default));
        Assert.Matches(@"^'d\d/f\d{4}\.txt': \d+ bytes is over the file size limit of 500 bytes$", file.Message);

        var package = await Assert.ThrowsAsync<TreeRefusedException>(() => PackageReader.ReadAsync(site, limits with { MaxFileBytes = 2000, MaxPackageBytes = 2500 }, null, default));
        Assert.StartsWith("the package is over the size limit of 2500 bytes", package.Message);

        var archive = _dir.Sub("site.zip");
        ZipFile.CreateFromDirectory(site, archive);
        var zipped = await Assert.ThrowsAsync<TreeRefusedException>(() => PackageReader.ReadAsync(archive, limits, null, default));
        Assert.Matches(@"over the file size limit of 500 bytes", zipped.Message);
    }

    [Fact]
    public async Task Not_a_package_is_refused_with_what_is_accepted()
    {
        File.WriteAllText(_dir.Sub("notes.txt"), "hi");
        var refused = await Assert.ThrowsAsync<TreeRefusedException>(() => PackageReader.ReadAsync(_dir.Sub("notes.txt"), TreeLimits.Default, null, default));
        Assert.EndsWith("notes.txt: not a folder, .zip, .tar.gz or .csproj", refused.Message);
        File.WriteAllText(_dir.Sub("broken.zip"), "not a zip");
        var broken = await Assert.ThrowsAsync<TreeRefusedException>(() => PackageReader.ReadAsync(_dir.Sub("broken.zip"), TreeLimits.Default, null, default));
        Assert.Contains("not a valid .zip", broken.Message);
    }

    private static async Task WriteTarGzAsync(string path, TarEntry entry)
    {
        await using var file = File.Create(path);
        await using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        await using var tar = new TarWriter(gzip, TarEntryFormat.Pax);
        await tar.WriteEntryAsync(entry);
    }

    private static void Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} failed: {error}");
    }
}
