using Microsoft.Extensions.Logging;

namespace WebFarm.State.Networking;

internal sealed partial class ClientConnection
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "QueryBufferTooLarge", Level = LogLevel.Warning, Message = "Closing client {Id} ({Address}): query buffer of {Bytes} bytes exceeds the limit")]
        public static partial void QueryBufferTooLarge(ILogger logger, long id, string address, long bytes);

        [LoggerMessage(EventId = 2, EventName = "ProtocolError", Level = LogLevel.Debug, Message = "Closing client {Id} ({Address}) after a protocol error: {Error}")]
        public static partial void ProtocolError(ILogger logger, long id, string address, string? error);

        [LoggerMessage(EventId = 3, EventName = "ClientFailed", Level = LogLevel.Error, Message = "Client {Id} ({Address}) failed")]
        public static partial void ClientFailed(ILogger logger, long id, string address, Exception exception);

        [LoggerMessage(EventId = 4, EventName = "OutputStalled", Level = LogLevel.Warning, Message = "Dropping client {Id} ({Address}): it has not read its replies for {Timeout}")]
        public static partial void OutputStalled(ILogger logger, long id, string address, TimeSpan timeout);

    }
}
