using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace WebFarm.AspNetCore.Hosting;

/// <summary>
/// Stops the application when the process that started it (named by WEBFARM_PARENT_PID) is gone, so that
/// instances supervised by <c>webfarm up</c> never outlive it, even when it is killed with SIGKILL and has
/// no chance to stop them. The parent is identified by pid and start time: a pid reused by an unrelated
/// process after the parent died must not keep us alive.
/// </summary>
internal sealed class ParentProcessWatcher : BackgroundService
{
    public const string ParentPidVariable = "WEBFARM_PARENT_PID";

    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<ParentProcessWatcher> _logger;
    private readonly int _parentPid;
    private readonly DateTime? _parentStartTime;

    public ParentProcessWatcher(IHostApplicationLifetime lifetime, ILogger<ParentProcessWatcher> logger, IConfiguration configuration)
    {
        _lifetime = lifetime;
        _logger = logger;
        var text = configuration[ParentPidVariable];
        if (!string.IsNullOrWhiteSpace(text))
        {
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _parentPid) || _parentPid <= 0)
            {
                throw new InvalidOperationException($"{ParentPidVariable}: '{text}' is not a process id (a positive integer).");
            }

            _parentStartTime = TryGetStartTime(_parentPid);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_parentPid == 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(PollInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (!IsParentAlive())
                {
                    _logger.LogWarning("Parent process {Pid} is gone; stopping.", _parentPid);
                    _lifetime.StopApplication();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Normal shutdown.
        }
    }

    private bool IsParentAlive()
    {
        // Already gone when the watcher started: the parent died between spawning us and now.
        if (_parentStartTime is null)
        {
            return false;
        }

        var startTime = TryGetStartTime(_parentPid);
        return startTime == _parentStartTime;
    }

    private static DateTime? TryGetStartTime(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited ? null : process.StartTime;
        }
        catch (ArgumentException)
        {
            return null; // No such process.
        }
        catch (InvalidOperationException)
        {
            return null; // Exited while we looked.
        }
    }
}
