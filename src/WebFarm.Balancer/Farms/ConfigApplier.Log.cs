using Microsoft.Extensions.Logging;

namespace WebFarm.Balancer.Farms;

internal sealed partial class ConfigApplier
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "TlsInsecureSkipVerify", Level = LogLevel.Warning, Message = "Farm '{Farm}' does not verify its https servers' certificates (TlsInsecureSkipVerify): anyone on the path to them can read and change its traffic")]
        public static partial void InsecureSkipVerify(ILogger logger, string farm);
    }
}
