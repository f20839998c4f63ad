using Microsoft.Extensions.Logging;

namespace WebFarm.Balancer.Hosting;

internal sealed partial class ConfigWatcher
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "ConfigWatcherFailed", Level = LogLevel.Warning, Message = "Config file watcher failed; falling back to polling {Path}")]
        public static partial void WatcherFailed(ILogger logger, string path, Exception exception);

        [LoggerMessage(EventId = 2, EventName = "ConfigCannotWatch", Level = LogLevel.Warning, Message = "Cannot watch {Path}; polling it every {Interval}")]
        public static partial void CannotWatch(ILogger logger, string path, TimeSpan interval, Exception exception);

        [LoggerMessage(EventId = 3, EventName = "ConfigReloadFailed", Level = LogLevel.Error, Message = "Reloading {Path} failed unexpectedly")]
        public static partial void ReloadFailed(ILogger logger, string path, Exception exception);

        [LoggerMessage(EventId = 4, EventName = "ConfigCannotRead", Level = LogLevel.Warning, Message = "Cannot read {Path}: {Reason}; keeping the running configuration")]
        public static partial void CannotRead(ILogger logger, string path, string reason);

        [LoggerMessage(EventId = 5, EventName = "ConfigRestartOnlyChanged", Level = LogLevel.Warning, Message = "{Settings} changed in {Path}: applied at the next restart; the rest of the new configuration is applied now")]
        public static partial void RestartOnlyChanged(ILogger logger, string settings, string path);

        [LoggerMessage(EventId = 6, EventName = "ConfigReloaded", Level = LogLevel.Information, Message = "Reloaded {Path}")]
        public static partial void Reloaded(ILogger logger, string path);

        [LoggerMessage(EventId = 7, EventName = "ConfigRejected", Level = LogLevel.Error, Message = "Rejected {Path}, keeping the running configuration:{NewLine}{Errors}")]
        public static partial void Rejected(ILogger logger, string path, string newLine, string errors);
    }
}
