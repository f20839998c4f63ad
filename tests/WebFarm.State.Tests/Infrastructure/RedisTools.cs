using System.Diagnostics;
using System.Net;

namespace WebFarm.State.Tests.Infrastructure;

/// <summary>Runs the real redis-cli / redis-benchmark (Debian redis-tools) against a server, with a hard timeout.</summary>
public static class RedisTools
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string tool, string arguments, string? stdin = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(tool, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {tool}");
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {arguments} did not finish in time");
        }

        return (process.ExitCode, await output, await error);
    }

    /// <summary>redis-cli with the arguments after the connection options; returns trimmed stdout.</summary>
    public static async Task<string> CliAsync(IPEndPoint server, string arguments, string? password = null)
    {
        var auth = password is null ? string.Empty : $"-a {password} --no-auth-warning ";
        var (exit, output, error) = await RunAsync("redis-cli", $"-h {server.Address} -p {server.Port} {auth}{arguments}");
        Assert.True(exit == 0, $"redis-cli {arguments} exited with {exit}: {error}");
        return output.TrimEnd('\n');
    }
}
