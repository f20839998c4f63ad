using System.Diagnostics;
using System.Net;

namespace WebFarm.State.Tests.Infrastructure;

/// <summary>Runs the real redis-cli / redis-benchmark (Debian redis-tools) against a server, with a hard timeout.</summary>
public static class RedisTools
{
    public static Task<(int ExitCode, string Output, string Error)> RunAsync(string tool, string arguments, string? stdin = null, TimeSpan? timeout = null)
        => ProcessRunner.RunToEndAsync(new ProcessStartInfo(tool, arguments), stdin, timeout);

    /// <summary>redis-cli with the arguments after the connection options; returns trimmed stdout.</summary>
    public static async Task<string> CliAsync(IPEndPoint server, string arguments, string? password = null)
    {
        var auth = password is null ? string.Empty : $"-a {password} --no-auth-warning ";
        var (exit, output, error) = await RunAsync("redis-cli", $"-h {server.Address} -p {server.Port} {auth}{arguments}");
        Assert.True(exit == 0, $"redis-cli {arguments} exited with {exit}: {error}");
        return output.TrimEnd('\n');
    }
}
