using Microsoft.Extensions.Logging;

namespace WebFarm.Commands;

/// <summary>What every long-running role command shares: its console log, and running until Ctrl+C or SIGTERM.</summary>
internal static class RoleLifetime
{
    /// <summary>One line per message with the time, at <paramref name="level"/> and above.</summary>
    public static ILoggerFactory ConsoleLogging(LogLevel level) => LoggerFactory.Create(b => b
        .SetMinimumLevel(level)
        .AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        }));

    /// <summary>Waits for Ctrl+C / SIGTERM (the parser cancels <paramref name="cancellationToken"/>), then says what stops.</summary>
    public static async Task WaitForStopAsync(string stoppingMessage, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine(stoppingMessage);
        }
    }
}
