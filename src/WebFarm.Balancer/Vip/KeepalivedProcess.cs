using System.Diagnostics;
using WebFarm.Balancer.Transport;

namespace WebFarm.Balancer.Vip;

/// <summary>
/// keepalived in the foreground as a supervised child of `webfarm vip`: its configuration and its own pid files in
/// the data directory (so several nodes can run on one machine, each in its network namespace), its log on our
/// console, SIGTERM when we stop (keepalived then removes the addresses and tells the peer at once with a priority-0
/// advert, so the peer takes over without waiting for missed adverts).
/// </summary>
public static class KeepalivedProcess
{
    public const string ConfigFileName = "keepalived.conf";

    /// <summary>keepalived removes its addresses and exits within a second of SIGTERM; past this it is killed.</summary>
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    /// <summary>Writes the configuration into <paramref name="dataDirectory"/> and returns its path.</summary>
    public static string WriteConfig(string dataDirectory, string config)
    {
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, ConfigFileName);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, config);
        File.Move(temporary, path, overwrite: true);
        return path;
    }

    /// <summary>
    /// Runs keepalived on <paramref name="configPath"/> until <paramref name="stop"/> (then SIGTERM, and SIGKILL after
    /// a grace period) or until it exits by itself.
    /// </summary>
    /// <returns>keepalived's exit code, or null when it was stopped through <paramref name="stop"/>.</returns>
    public static async Task<int?> RunAsync(string keepalived, string configPath, string dataDirectory, Action<int> started, CancellationToken stop)
    {
        var start = new ProcessStartInfo(keepalived) { UseShellExecute = false };
        foreach (var arg in Arguments(configPath, dataDirectory))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {keepalived}");
        started(process.Id);
        try
        {
            await process.WaitForExitAsync(stop);
            return process.ExitCode;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            _ = Libc.Kill(process.Id, Libc.SIGTERM);
            using var grace = new CancellationTokenSource(StopGrace);
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                await process.WaitForExitAsync(CancellationToken.None);
            }

            return null;
        }
    }

    /// <summary>
    /// Foreground (-n), log to the console (-l -D) and not to syslog (-G; systemd's journal gets the console), only the
    /// VRRP subsystem (-P -B), and pid files of its own: keepalived refuses to start when its default pid files name a
    /// running keepalived, which another node on the same machine would be.
    /// </summary>
    public static IReadOnlyList<string> Arguments(string configPath, string dataDirectory) =>
    [
        "-n", "-l", "-D", "-G", "-P", "-B",
        "-f", configPath,
        "-p", Path.Combine(dataDirectory, "keepalived.pid"),
        "-r", Path.Combine(dataDirectory, "vrrp.pid"),
        "-c", Path.Combine(dataDirectory, "checkers.pid"),
    ];
}
