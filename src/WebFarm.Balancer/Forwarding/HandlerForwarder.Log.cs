using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Forwarding;

internal sealed partial class HandlerForwarder
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "HandlerUnsendable", Level = LogLevel.Debug, Message = "Request {RequestId} cannot be put into an upstream request")]
        public static partial void Unsendable(ILogger logger, Exception exception, string requestId);

        [LoggerMessage(EventId = 2, EventName = "HandlerUpgradeRefused", Message = "Request {RequestId}: {Server} {Reason}")]
        public static partial void UpgradeRefused(ILogger logger, LogLevel level, string requestId, ServerRuntime server, string reason);

        [LoggerMessage(EventId = 3, EventName = "HandlerUpgradeFailed", Level = LogLevel.Information, Message = "Upgrade to {Server} failed")]
        public static partial void UpgradeFailed(ILogger logger, Exception exception, ServerRuntime server);
    }
}
