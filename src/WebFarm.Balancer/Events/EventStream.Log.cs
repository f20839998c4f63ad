using Microsoft.Extensions.Logging;

namespace WebFarm.Balancer.Events;

public sealed partial class EventStream
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "FarmEvent", Message = "Event {Sequence} {Kind} farm={Farm} server={Server}: {Message}")]
        public static partial void Event(ILogger logger, LogLevel level, long sequence, string kind, string farm, string server, string message);
    }
}
