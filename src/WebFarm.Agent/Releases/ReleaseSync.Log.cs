using Microsoft.Extensions.Logging;

namespace WebFarm.Agent.Releases;

public sealed partial class ReleaseSync
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "Refused", Level = LogLevel.Error, Message = "Refused {Kind} {Name} #{Id}: {Reason}; nothing of it was installed")]
        public static partial void Refused(ILogger logger, string kind, string name, long id, string reason);

        [LoggerMessage(EventId = 2, EventName = "SyncWorksAgain", Level = LogLevel.Information, Message = "Release sync with {Controller} works again")]
        public static partial void SyncWorksAgain(ILogger logger, Uri controller);

        [LoggerMessage(EventId = 3, EventName = "SyncFailed", Level = LogLevel.Warning, Message = "Release sync with {Controller} failed: {Reason}; retrying every {Interval}")]
        public static partial void SyncFailed(ILogger logger, Uri controller, string reason, TimeSpan interval);

        [LoggerMessage(EventId = 4, EventName = "Pruned", Level = LogLevel.Information, Message = "Deleted {Count} release(s) the controller no longer keeps, and the files only they used")]
        public static partial void Pruned(ILogger logger, int count);
    }
}
