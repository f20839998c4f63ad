using Microsoft.Extensions.Logging;

namespace WebFarm.State.Persistence;

internal static partial class AofLoader
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "TornTail", Level = LogLevel.Warning, Message = "Append-only log {Path} ends with {Problem} at byte {Offset} of {Length}: truncating the last {Bytes} bytes and starting with the {Commands} commands before it.")]
        public static partial void TornTail(ILogger logger, string path, string problem, long offset, long length, long bytes, long commands);

    }
}
