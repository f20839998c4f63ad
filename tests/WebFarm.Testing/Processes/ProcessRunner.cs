using System.Diagnostics;

namespace WebFarm.Testing;

/// <summary>Runs a short-lived command (redis-cli, initdb, pg_ctl, `webfarm servers`) to completion under a hard timeout.</summary>
public static class ProcessRunner
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Runs <paramref name="start"/> (its output is redirected here), writes <paramref name="stdin"/> if given, and returns
    /// the exit code and both streams. Killed with its children and a <see cref="TimeoutException"/> after the timeout.
    /// </summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunToEndAsync(ProcessStartInfo start, string? stdin = null, TimeSpan? timeout = null)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = stdin is not null;
        start.UseShellExecute = false;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {start.FileName}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{CommandLine(start)} did not finish within {(timeout ?? DefaultTimeout).TotalSeconds:0} s.");
        }

        return (process.ExitCode, await output, await error);
    }

    /// <summary>Runs a command and returns its standard output; with <paramref name="check"/>, throws with stderr on a non-zero exit.</summary>
    public static async Task<string> RunAsync(string fileName, IEnumerable<string> args, TimeSpan? timeout = null, bool check = true)
    {
        var start = new ProcessStartInfo(fileName);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var (exitCode, output, error) = await RunToEndAsync(start, timeout: timeout);
        if (check && exitCode != 0)
        {
            throw new InvalidOperationException($"{CommandLine(start)} exited with {exitCode}: {error}{output}");
        }

        return output;
    }

    private static string CommandLine(ProcessStartInfo start)
        => start.ArgumentList.Count > 0 ? $"{start.FileName} {string.Join(' ', start.ArgumentList)}" : $"{start.FileName} {start.Arguments}";
}
