using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Events;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Hosting;

/// <summary>
/// Re-applies the config file when it changes. FileSystemWatcher gives the prompt signal; a slow poll backs it
/// up (inotify watches can run out, network file systems miss events). Changes are debounced and compared by
/// content, so an editor's several writes make one reload and touching the file makes none. The last text read is
/// kept and compared as is (a config file is a few KiB): a SHA-256 of it loaded OpenSSL's libcrypto at start-up,
/// 3.4 MiB of resident memory for nothing.
/// A bad file raises config-rejected and keeps the running configuration.
/// </summary>
internal sealed partial class ConfigWatcher : IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);

    private readonly string _path;
    private readonly BalancerRuntime _runtime;
    private readonly Func<BalancerConfig, BalancerConfig> _adjust;
    private readonly ILogger _logger;
    private readonly TimeSpan _debounce;
    private readonly FileSystemWatcher? _watcher;
    private readonly Timer _debounceTimer;
    private readonly Timer _pollTimer;
    private readonly object _reloadLock = new();
    private string _lastContent;
    private (DateTime, long) _lastStamp;
    private int _disposed;

    public ConfigWatcher(string path, string initialContent, BalancerRuntime runtime, Func<BalancerConfig, BalancerConfig> adjust, TimeSpan debounce, ILogger logger)
    {
        _path = path;
        _runtime = runtime;
        _adjust = adjust;
        _debounce = debounce;
        _logger = logger;
        _lastContent = initialContent;
        _lastStamp = Stamp();
        _debounceTimer = new Timer(static s => ((ConfigWatcher)s!).ReloadFromTimer(), this, Timeout.Infinite, Timeout.Infinite);
        _pollTimer = new Timer(static s => ((ConfigWatcher)s!).Poll(), this, PollInterval, PollInterval);
        try
        {
            _watcher = new FileSystemWatcher(Path.GetDirectoryName(path)!, Path.GetFileName(path))
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            _watcher.Changed += (_, _) => Schedule();
            _watcher.Created += (_, _) => Schedule();
            _watcher.Renamed += (_, _) => Schedule();
            _watcher.Error += (_, e) => Log.WatcherFailed(_logger, _path, e.GetException());
            _watcher.EnableRaisingEvents = true;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or PlatformNotSupportedException)
        {
            Log.CannotWatch(_logger, path, PollInterval, ex);
        }
    }

    private void Schedule()
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            try
            {
                _debounceTimer.Change(_debounce, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private void Poll()
    {
        if (Stamp() != _lastStamp)
        {
            Schedule();
        }
    }

    private (DateTime, long) Stamp()
    {
        try
        {
            var info = new FileInfo(_path);
            return info.Exists ? (info.LastWriteTimeUtc, info.Length) : default;
        }
        catch (IOException)
        {
            return default;
        }
    }

    private void ReloadFromTimer()
    {
        try
        {
            Reload(force: false);
        }
        catch (Exception ex)
        {
            // A timer callback must never throw: that would take the process down.
            Log.ReloadFailed(_logger, _path, ex);
        }
    }

    /// <summary>Reloads now if the content changed (or always with <paramref name="force"/>); false when the file was rejected.</summary>
    public bool Reload(bool force)
    {
        lock (_reloadLock)
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                return false;
            }

            _lastStamp = Stamp();
            string text;
            try
            {
                text = ReadWithRetry();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A missing file is usually an editor's save-by-rename in progress; the next event retries.
                Log.CannotRead(_logger, _path, ex.Message);
                return false;
            }

            if (!force && string.Equals(text, _lastContent, StringComparison.Ordinal))
            {
                return true;
            }

            _lastContent = text;
            try
            {
                var config = _adjust(BalancerConfigLoader.Parse(text, _path));
                var running = _runtime.Config;
                var restartOnly = RestartOnlySettings.Changed(config, running);
                _runtime.Apply(RestartOnlySettings.KeepRunning(config, running));
                var message = $"{_path} reloaded: {config.Farms.Count} farm(s), {config.Routes.Count} route(s)";
                if (restartOnly.Count > 0)
                {
                    // Said in the event, not only in the log: whoever watches the events learns that a restart is due.
                    message += $"; {string.Join(", ", restartOnly)} changed: applied at the next restart";
                    Log.RestartOnlyChanged(_logger, string.Join(", ", restartOnly), _path);
                }

                Log.Reloaded(_logger, _path);
                _runtime.Events.Publish(null, null, EventKind.ConfigReloaded, message);
                return true;
            }
            catch (ConfigException ex)
            {
                Log.Rejected(_logger, _path, Environment.NewLine, string.Join(Environment.NewLine, ex.Errors));
                var first = ex.Errors.Count > 0 ? ex.Errors[0].ToString() : ex.Message;
                var more = ex.Errors.Count > 1 ? $" (and {ex.Errors.Count - 1} more)" : string.Empty;
                _runtime.Events.Publish(null, null, EventKind.ConfigRejected, $"rejected, keeping the running configuration: {first}{more}");
                return false;
            }
        }
    }

    private string ReadWithRetry()
    {
        for (var i = 0; ; i++)
        {
            try
            {
                return File.ReadAllText(_path);
            }
            catch (IOException) when (i < 3)
            {
                Thread.Sleep(50);
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _watcher?.Dispose();
        _pollTimer.Dispose();
        _debounceTimer.Dispose();
        lock (_reloadLock)
        {
            // Waits for a reload in progress to finish.
        }
    }
}
