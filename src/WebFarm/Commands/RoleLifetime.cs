using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using WebFarm.Output;
using WebFarm.Systemd;

namespace WebFarm.Commands;

/// <summary>
/// What every long-running role command shares: its console log, telling systemd when it is ready and when it stops,
/// and running until Ctrl+C or SIGTERM.
/// </summary>
internal static class RoleLifetime
{
    /// <summary>
    /// One line per message at <paramref name="level"/> and above. Under journald (JOURNAL_STREAM set) each line starts
    /// with its syslog priority (`&lt;6&gt;`), so `journalctl -p warning` filters, and has no time stamp (journald keeps
    /// its own); elsewhere with the time. Colour follows <see cref="Terminal"/>'s rule (none in a pipe or with NO_COLOR).
    /// </summary>
    public static ILoggerFactory ConsoleLogging(LogLevel level)
    {
        // Read NOTIFY_SOCKET now, before the role starts child processes that must not inherit it.
        _ = SystemdNotifier.Current;
        var journal = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("JOURNAL_STREAM"));
        return LoggerFactory.Create(b =>
        {
            b.SetMinimumLevel(level);
            if (journal)
            {
                b.AddSystemdConsole(o => o.IncludeScopes = false);
                return;
            }

            b.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
                o.ColorBehavior = Terminal.Current.Colour ? LoggerColorBehavior.Enabled : LoggerColorBehavior.Disabled;
            });
        });
    }

    /// <summary>
    /// A role told to stop (Ctrl+C, SIGTERM) while it was still starting: its start gave up and released what it had
    /// opened, so this is a graceful stop too and exits 0, as a stop after the start does (systemd counts another code
    /// as a failed unit).
    /// </summary>
    public static int StoppedWhileStarting(string role)
    {
        SystemdNotifier.Current.Stopping("stopped while starting");
        Console.Error.WriteLine($"webfarm {role}: stopped before it finished starting");
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Called once the role listens: tells systemd it is ready, waits for Ctrl+C / SIGTERM (<see cref="StopSignals"/> cancels
    /// <paramref name="cancellationToken"/>), then tells systemd and the console that the role stops (and drains).
    /// </summary>
    public static async Task WaitForStopAsync(string stoppingMessage, CancellationToken cancellationToken)
    {
        SystemdNotifier.Current.Ready("listening");
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            SystemdNotifier.Current.Stopping(stoppingMessage);
            Console.Error.WriteLine(stoppingMessage);
        }
    }
}
