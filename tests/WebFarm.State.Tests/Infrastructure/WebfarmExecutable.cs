using System.Diagnostics;
using System.Security.Cryptography;

namespace WebFarm.State.Tests.Infrastructure;

/// <summary>
/// Locates the built `webfarm` executable (src/WebFarm/bin/&lt;config&gt;/net10.0/webfarm.dll). If it is missing
/// or carries a different WebFarm.State.dll than the one under test, it is (re)built once.
/// </summary>
public static class WebfarmExecutable
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _path;

    public static async Task<string> GetAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_path is not null)
            {
                return _path;
            }

            var repo = RepositoryPaths.Root;
            var configuration = RepositoryPaths.Configuration;
            var dll = Path.Combine(repo, "src", "WebFarm", "bin", configuration, RepositoryPaths.Framework, "webfarm.dll");
            if (!IsCurrent(dll))
            {
                var build = Process.Start(new ProcessStartInfo("dotnet", $"build \"{Path.Combine(repo, "src", "WebFarm", "WebFarm.csproj")}\" -c {configuration} -nologo -v q")
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                })!;
                var output = build.StandardOutput.ReadToEndAsync();
                await build.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(4));
                Assert.True(build.ExitCode == 0, "building webfarm failed: " + await output);
            }

            _path = dll;
            return dll;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static bool IsCurrent(string dll)
    {
        var shipped = Path.Combine(Path.GetDirectoryName(dll)!, "WebFarm.State.dll");
        var tested = Path.Combine(AppContext.BaseDirectory, "WebFarm.State.dll");
        return File.Exists(dll) && File.Exists(shipped)
            && SHA256.HashData(File.ReadAllBytes(shipped)).AsSpan().SequenceEqual(SHA256.HashData(File.ReadAllBytes(tested)));
    }
}
