using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Pipeline;

internal sealed partial class RequestPipeline
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "PipelineFarmRemoved", Message = "Request {RequestId}: farm {Farm} was removed by a configuration reload while the request waited for it; answered 503")]
        public static partial void FarmRemoved(ILogger logger, LogLevel level, string requestId, string farm);

        [LoggerMessage(EventId = 2, EventName = "PipelineRetrying", Level = LogLevel.Debug, Message = "Request {RequestId}: attempt {Attempt} on {Server} failed ({Message}); retrying on another server")]
        public static partial void Retrying(ILogger logger, string requestId, int attempt, ServerRuntime server, string? message);
    }
}
