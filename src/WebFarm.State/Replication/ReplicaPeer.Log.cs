using Microsoft.Extensions.Logging;

namespace WebFarm.State.Replication;

internal sealed partial class ReplicaPeer
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "ReplicaOnline", Level = LogLevel.Information, Message = "Replica {Address} is online from offset {Offset} ({Mode})")]
        public static partial void ReplicaOnline(ILogger logger, string address, long offset, string mode);

        [LoggerMessage(EventId = 2, EventName = "ReplicaDropped", Level = LogLevel.Warning, Message = "Dropping replica {Address}: {Reason}")]
        public static partial void ReplicaDropped(ILogger logger, string address, string reason);

    }
}
