using Microsoft.Extensions.Logging;

namespace WebFarm.Balancer.Farms;

internal sealed partial class ServerStatePersistence
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "SavedServerStatesIgnored", Level = LogLevel.Warning, Message = "Ignoring saved server states: {Problem}")]
        public static partial void SavedStatesIgnored(ILogger logger, string problem);

        [LoggerMessage(EventId = 2, EventName = "ServerStatesSaveFailed", Level = LogLevel.Error, Message = "Could not save server states to {Directory}")]
        public static partial void SaveFailed(ILogger logger, string directory, Exception exception);
    }
}
