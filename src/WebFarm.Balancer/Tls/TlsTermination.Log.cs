using Microsoft.Extensions.Logging;

namespace WebFarm.Balancer.Tls;

internal sealed partial class TlsTermination
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "TlsHandshakeTimedOut", Level = LogLevel.Debug, Message = "Connection {ConnectionId}: the TLS handshake did not complete within {Timeout}; closed")]
        public static partial void HandshakeTimedOut(ILogger logger, string connectionId, TimeSpan timeout);

        [LoggerMessage(EventId = 2, EventName = "TlsHandshakeFailed", Level = LogLevel.Debug, Message = "Connection {ConnectionId}: the TLS handshake failed")]
        public static partial void HandshakeFailed(ILogger logger, string connectionId, Exception exception);
    }
}
