using Microsoft.Extensions.Logging;

namespace WebFarm.Balancer.Forwarding;

internal sealed partial class HttpForwarder
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "RequestRefused", Message = "Request {RequestId} refused ({Failure}): {Reason}")]
        public static partial void Refused(ILogger logger, LogLevel level, string requestId, ForwardingFailure failure, string reason);
    }
}
