using Microsoft.Extensions.Logging;

namespace WebFarm.Balancer.Health;

public sealed partial class HealthMonitor
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "HealthCheckLoopFailed", Level = LogLevel.Error, Message = "Health check loop for {Server} in farm {Farm} failed")]
        public static partial void LoopFailed(ILogger logger, string server, string farm, Exception exception);

        [LoggerMessage(EventId = 2, EventName = "HealthReported", Level = LogLevel.Information, Message = "Health of {Server} in farm {Farm}: {Healthy}, {Reason}")]
        public static partial void HealthReported(ILogger logger, string server, string farm, string healthy, string reason);

        [LoggerMessage(EventId = 3, EventName = "HealthNotRecorded", Level = LogLevel.Debug, Message = "Could not record the health of {Server} in farm {Farm}")]
        public static partial void HealthNotRecorded(ILogger logger, string server, string farm, Exception exception);
    }
}
