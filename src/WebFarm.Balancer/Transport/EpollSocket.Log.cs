using Microsoft.Extensions.Logging;

namespace WebFarm.Balancer.Transport;

internal sealed partial class EpollSocket
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "EpollLoopCallbackFailed", Level = LogLevel.Error,
            Message = "Code resumed by an epoll loop thread for socket {Descriptor} failed; the loop goes on with the next report")]
        public static partial void LoopCallbackFailed(ILogger logger, int descriptor, Exception exception);
    }
}
