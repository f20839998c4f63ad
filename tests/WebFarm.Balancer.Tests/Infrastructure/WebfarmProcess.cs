using System.Diagnostics;

namespace WebFarm.Balancer.Tests.Infrastructure;

/// <summary>Runs the real `webfarm` CLI (src/WebFarm, built in the same configuration as the tests) as a child process.</summary>
public static class WebfarmProcess
{
    /// <summary>The built webfarm.dll; fails the test with its path when it was not built.</summary>
    public static string DllPath()
    {
        // The test runs from tests/WebFarm.Balancer.Tests/bin/<Configuration>/net10.0/; the CLI builds to src/WebFarm/bin/<Configuration>/net10.0/.
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var dll = Path.Combine(RepositoryPaths.Root, "src", "WebFarm", "bin", configuration, "net10.0", "webfarm.dll");
        Assert.True(File.Exists(dll), $"{dll} was not built");
        return dll;
    }

    /// <summary>Runs `webfarm ARGS` to completion (killed after 60 s) with plain, wide output; returns its exit code and both streams.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(DllPath());
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["NO_COLOR"] = "1";
        start.Environment["COLUMNS"] = "200";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await output, await error);
    }
}
