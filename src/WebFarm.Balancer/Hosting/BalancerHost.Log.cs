using Microsoft.Extensions.Logging;

namespace WebFarm.Balancer.Hosting;

public sealed partial class BalancerHost
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "BalancerListening", Level = LogLevel.Information, Message = "Balancer listening on {Listen}; admin API on {Admin}; {Farms} farm(s); socket engine {Engine}")]
        public static partial void Listening(ILogger logger, string listen, string admin, int farms, string engine);
    }
}
