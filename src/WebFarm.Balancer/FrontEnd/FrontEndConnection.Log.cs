using Microsoft.Extensions.Logging;

namespace WebFarm.Balancer.FrontEnd;

internal sealed partial class FrontEndConnection
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "FrontEndServeFailed", Level = LogLevel.Error, Message = "The HTTP/1.1 front end failed while serving a request; closing the client connection")]
        public static partial void ServeFailed(ILogger logger, Exception exception);
    }
}
