using System.Diagnostics;

namespace WebFarm.Controller.Tests.Infrastructure;

/// <summary>Runs the real `webfarm` executable (a CLI command) and returns its exit code and output.</summary>
internal static class WebFarmCli
{
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(TimeSpan timeout, params string[] arguments)
    {
        using var process = Start(arguments);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"webfarm {string.Join(' ', arguments)} did not exit within {timeout}: {await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts `webfarm` with its output redirected, for a test that reads it while it runs (the caller waits for it, or kills it, and disposes it).</summary>
    public static Process Start(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])[RepositoryPaths.WebFarmDll, .. arguments])
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("could not start webfarm");
    }
}
