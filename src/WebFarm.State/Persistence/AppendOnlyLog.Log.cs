using Microsoft.Extensions.Logging;

namespace WebFarm.State.Persistence;

internal sealed partial class AppendOnlyLog
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "Loaded", Level = LogLevel.Information, Message = "Loaded {Keys} keys from the append-only log in {Directory}")]
        public static partial void Loaded(ILogger logger, int keys, string directory);

        [LoggerMessage(EventId = 2, EventName = "WriteFailed", Level = LogLevel.Error, Message = "Writing the append-only log failed; will retry")]
        public static partial void WriteFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 3, EventName = "Rewrote", Level = LogLevel.Information, Message = "Rewrote the append-only log: {Keys} keys, base {Bytes} bytes, in {Ms} ms")]
        public static partial void Rewrote(ILogger logger, int keys, long bytes, long ms);

        [LoggerMessage(EventId = 4, EventName = "RewriteFailed", Level = LogLevel.Error, Message = "Rewriting the append-only log failed; the previous files stay in use")]
        public static partial void RewriteFailed(ILogger logger, Exception exception);

    }
}
