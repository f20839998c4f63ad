using Microsoft.Extensions.Logging;

namespace WebFarm.Balancer.Health;

public sealed partial class PassiveHealthObserver
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "PassiveHealthLeavesRotation", Level = LogLevel.Warning, Message = "Server {Server} in farm {Farm} leaves rotation: {Reason}")]
        public static partial void LeavesRotation(ILogger logger, string server, string farm, string reason);

        [LoggerMessage(EventId = 2, EventName = "PassiveHealthNotRecorded", Level = LogLevel.Debug, Message = "Could not record the health of {Server} in farm {Farm}")]
        public static partial void HealthNotRecorded(ILogger logger, string server, string farm, Exception exception);
    }
}
