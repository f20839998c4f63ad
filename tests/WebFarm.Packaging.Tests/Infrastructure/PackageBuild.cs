using System.Diagnostics;
using System.Xml.Linq;

namespace WebFarm.Packaging.Tests.Infrastructure;

/// <summary>
/// One run of build/package.sh for the whole test run (x64, framework-dependent: one compile shared by the tool
/// package and the .deb, no runtime to bundle; the self-contained single file is measured in docs/benchmarks.md, not
/// built here). Shared by the classes of <see cref="PackagingCollection"/>; the output directory is deleted at the end.
/// </summary>
public sealed class PackageBuild : IAsyncLifetime
{
    /// <summary>Generous: a cold compile of every project on a loaded 2-core machine took about 4 minutes.</summary>
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(12);

    private readonly TempDirectory _directory = new("webfarm-package-");

    public string Output => _directory.Path;

    /// <summary>The version in src/WebFarm/WebFarm.csproj (VersionPrefix).</summary>
    public string Version { get; } = XDocument.Load(Path.Combine(RepositoryPaths.Root, "src", "WebFarm", "WebFarm.csproj"))
        .Descendants("VersionPrefix").Single().Value;

    /// <summary>The Debian architecture of this machine (amd64), as dpkg says.</summary>
    public string Architecture { get; private set; } = string.Empty;

    public string DebPath => Path.Combine(Output, $"webfarm_{Version}_{Architecture}.deb");

    public string ToolDirectory => Path.Combine(Output, "tool");

    /// <summary>The git commit checked out when the package was built (what `webfarm --version` must name).</summary>
    public string Commit { get; private set; } = string.Empty;

    /// <summary>How long package.sh took (printed with the test output, and in docs/packaging.md).</summary>
    public TimeSpan Elapsed { get; private set; }

    public string Log { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        Architecture = (await ProcessRunner.RunAsync("dpkg", ["--print-architecture"])).Trim();
        var rid = Architecture switch
        {
            "amd64" => "linux-x64",
            "arm64" => "linux-arm64",
            _ => throw new InvalidOperationException($"no .NET runtime identifier for Debian architecture {Architecture}"),
        };
        Commit = (await ProcessRunner.RunAsync("git", ["-C", RepositoryPaths.Root, "rev-parse", "HEAD"])).Trim();
        var start = new ProcessStartInfo("bash", [Path.Combine(RepositoryPaths.Root, "build", "package.sh"), "--out", Output, "--rid", rid, "--framework-dependent"]);
        var clock = Stopwatch.StartNew();
        var (exitCode, stdout, stderr) = await ProcessRunner.RunToEndAsync(start, timeout: BuildTimeout);
        Elapsed = clock.Elapsed;
        Log = stdout + stderr;
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"build/package.sh exited with {exitCode}:\n{Log}");
        }
    }

    public Task DisposeAsync()
    {
        _directory.Dispose();
        return Task.CompletedTask;
    }
}
