using Microsoft.Extensions.Logging;

namespace WebFarm.State.Commands;

internal sealed partial class ClientSession
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "SlowSubscriberDropped", Level = LogLevel.Warning, Message = "Dropping client {Id} ({Address}): more than {Limit} bytes of Pub/Sub messages are waiting for it to read")]
        public static partial void SlowSubscriberDropped(ILogger logger, long id, string address, long limit);

    }
}
