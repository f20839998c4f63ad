using Microsoft.Extensions.Logging;

namespace WebFarm.State.Commands;

internal static partial class CommandExecutor
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "CommandFailed", Level = LogLevel.Error, Message = "Command {Command} failed for client {Id}")]
        public static partial void CommandFailed(ILogger logger, string command, long id, Exception exception);

    }
}
