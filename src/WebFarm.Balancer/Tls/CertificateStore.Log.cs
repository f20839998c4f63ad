using Microsoft.Extensions.Logging;

namespace WebFarm.Balancer.Tls;

internal sealed partial class CertificateStore
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "CertificateWatcherFailed", Level = LogLevel.Warning, Message = "Cannot watch the certificate folder {Folder}; comparing it every {Interval} instead")]
        public static partial void WatcherFailed(ILogger logger, string folder, TimeSpan interval, Exception exception);

        [LoggerMessage(EventId = 2, EventName = "CertificateRescanFailed", Level = LogLevel.Error, Message = "Rescanning the certificate folder {Folder} failed unexpectedly; the certificates in use stay")]
        public static partial void RescanFailed(ILogger logger, string folder, Exception exception);
    }
}
