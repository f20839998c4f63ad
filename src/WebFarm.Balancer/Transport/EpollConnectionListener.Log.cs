using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace WebFarm.Balancer.Transport;

internal sealed partial class EpollConnectionListener
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 2, EventName = "AcceptStarved", Level = LogLevel.Error,
            Message = "Cannot accept connections on {EndPoint}: {Error} (out of file descriptors or socket memory; raise `ulimit -n`). New connections wait in the backlog until some close")]
        public static partial void AcceptStarved(ILogger logger, EndPoint endPoint, SocketError error, Exception exception);

        [LoggerMessage(EventId = 3, EventName = "AcceptResumed", Level = LogLevel.Information,
            Message = "Accepting connections on {EndPoint} again")]
        public static partial void AcceptResumed(ILogger logger, EndPoint endPoint);
    }
}
