using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
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

            var repo = FindRepositoryRoot();
            var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
            var dll = Path.Combine(repo, "src", "WebFarm", "bin", configuration, "net10.0", "webfarm.dll");
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

    private static string FindRepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "WebFarm.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("cannot find WebFarm.slnx above " + AppContext.BaseDirectory);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
