using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace WebFarm.Balancer.Tcp;

internal sealed partial class TcpPortListener
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "TcpAcceptStarved", Level = LogLevel.Error,
            Message = "Cannot accept connections on TCP listener {Listener}: {Error} (out of file descriptors or socket memory; raise `ulimit -n`). New connections wait in the backlog until some close")]
        public static partial void AcceptStarved(ILogger logger, string listener, SocketError error);

        [LoggerMessage(EventId = 2, EventName = "TcpAcceptResumed", Level = LogLevel.Information,
            Message = "Accepting connections on TCP listener {Listener} again")]
        public static partial void AcceptResumed(ILogger logger, string listener);
    }
}
