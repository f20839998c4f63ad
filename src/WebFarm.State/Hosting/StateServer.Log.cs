using Microsoft.Extensions.Logging;

namespace WebFarm.State.Hosting;

public sealed partial class StateServer
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "Listening", Level = LogLevel.Information, Message = "webfarm state listening on {EndPoint} (persistence: {Persistence})")]
        public static partial void Listening(ILogger logger, System.Net.IPEndPoint endPoint, string persistence);

        [LoggerMessage(EventId = 2, EventName = "AcceptFailed", Level = LogLevel.Warning, Message = "Accepting a connection failed: {Reason}")]
        public static partial void AcceptFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = 3, EventName = "StoreStillHeld", Level = LogLevel.Warning, Message = "A command still holds the store after the shutdown timeout; stopping without waiting for it")]
        public static partial void StoreStillHeld(ILogger logger);

        [LoggerMessage(EventId = 4, EventName = "Stopped", Level = LogLevel.Information, Message = "webfarm state on {EndPoint} stopped")]
        public static partial void Stopped(ILogger logger, System.Net.IPEndPoint endPoint);

    }
}
