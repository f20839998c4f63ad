using Microsoft.Extensions.Logging;

namespace WebFarm.Agent.Control;

public sealed partial class ControlAgent
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "Joined", Level = LogLevel.Information, Message = "Joined controller {Controller} as server {Name} ({Address})")]
        public static partial void Joined(ILogger logger, Uri controller, string name, string address);

        [LoggerMessage(EventId = 2, EventName = "AlreadyJoined", Level = LogLevel.Information, Message = "Already joined as {Name} (credential in {Path}); --join-token is not used")]
        public static partial void AlreadyJoined(ILogger logger, string name, string path);

        [LoggerMessage(EventId = 3, EventName = "AddressDiffers", Level = LogLevel.Warning, Message = "--address {Address} differs from the address {Joined} this server joined with; the controller keeps {Joined}")]
        public static partial void AddressDiffers(ILogger logger, string? address, string joined);

        [LoggerMessage(EventId = 4, EventName = "Heartbeating", Level = LogLevel.Information, Message = "Heartbeating to {Controller} every {Interval} as {Name}")]
        public static partial void Heartbeating(ILogger logger, Uri controller, TimeSpan interval, string name);

        [LoggerMessage(EventId = 5, EventName = "HeartbeatsAccepted", Level = LogLevel.Information, Message = "Controller {Controller} accepts heartbeats again")]
        public static partial void HeartbeatsAccepted(ILogger logger, Uri controller);

        [LoggerMessage(EventId = 6, EventName = "HeartbeatFailed", Level = LogLevel.Warning, Message = "Heartbeat to {Controller} failed: {Reason}; retrying every {Interval}")]
        public static partial void HeartbeatFailed(ILogger logger, Uri controller, string reason, TimeSpan interval);

    }
}
