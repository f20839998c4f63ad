using Microsoft.Extensions.Logging;

namespace WebFarm.Agent.Apps;

public sealed partial class AppSupervisor
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "ReconcileFailed", Level = LogLevel.Error, Message = "Reconciling the apps failed")]
        public static partial void ReconcileFailed(ILogger logger, Exception exception);
    }
}
