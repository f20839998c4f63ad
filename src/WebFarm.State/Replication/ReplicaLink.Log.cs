using Microsoft.Extensions.Logging;

namespace WebFarm.State.Replication;

internal sealed partial class ReplicaLink
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "LinkFailed", Level = LogLevel.Warning, Message = "Replication link to {Host}:{Port} failed: {Reason}")]
        public static partial void LinkFailed(ILogger logger, string host, int port, string reason);

        [LoggerMessage(EventId = 2, EventName = "FullSyncDone", Level = LogLevel.Information, Message = "Full sync from {Host}:{Port} done at offset {Offset}")]
        public static partial void FullSyncDone(ILogger logger, string host, int port, long offset);

        [LoggerMessage(EventId = 3, EventName = "PartialResync", Level = LogLevel.Information, Message = "Partial resync from {Host}:{Port} at offset {Offset}")]
        public static partial void PartialResync(ILogger logger, string host, int port, long offset);

    }
}
