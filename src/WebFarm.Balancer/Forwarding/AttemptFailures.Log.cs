using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Forwarding;

internal static partial class AttemptFailures
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "AttemptBodyFailed", Level = LogLevel.Information, Message = "Request {RequestId}: {Server} failed while sending the response body: {Error}")]
        public static partial void BodyFailed(ILogger logger, string requestId, ServerRuntime server, string error);
    }
}
