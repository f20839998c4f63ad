using Microsoft.Extensions.Logging;

namespace WebFarm.State.Replication;

internal sealed partial class ReplicationState
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "NowReplica", Level = LogLevel.Information, Message = "Now a replica of {Host}:{Port}")]
        public static partial void NowReplica(ILogger logger, string host, int port);

        [LoggerMessage(EventId = 2, EventName = "Promoted", Level = LogLevel.Information, Message = "Promoted to master at offset {Offset}")]
        public static partial void Promoted(ILogger logger, long offset);

    }
}
