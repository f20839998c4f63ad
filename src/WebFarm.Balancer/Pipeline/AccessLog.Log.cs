using System.Net;
using Microsoft.Extensions.Logging;

namespace WebFarm.Balancer.Pipeline;

internal sealed partial class AccessLog
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "AccessLine", Level = LogLevel.Information, Message = "{ClientIp} \"{Method} {Host}{Target} {Protocol}\" {Status} {Farm}/{Server} {ElapsedMs:F1}ms id={RequestId}")]
        public static partial void Line(ILogger logger, IPAddress? clientIp, string method, string? host, string target, string protocol, int status, string farm, string server, double elapsedMs, string requestId);
    }
}
