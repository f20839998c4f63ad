using System.Diagnostics;
using System.Globalization;

namespace WebFarm.Agent.Supervision;

/// <summary>
/// Keeps one app instance running: launches the child process, notices when it exits, restarts it with
/// exponential backoff, and stops it in order (drain, SIGTERM, then SIGKILL after a timeout).
/// One supervision loop per instance owns the restarts; <see cref="StopAsync"/> ends the loop first and
/// then stops the process, so a stop can never race a restart.
/// </summary>
public sealed class SupervisedInstance : IAsyncDisposable
{
    private readonly SupervisedInstanceOptions _options;
    private readonly ProcessSpawner _spawner;
    private readonly Dictionary<string, string> _environment;
    private readonly CancellationTokenSource _stopRequested = new();
    private readonly Lock _lock = new();
    private Task _loop = Task.CompletedTask;
    private Task? _stopping;
    private Process? _process;
    private int _processId;
    private int _state = (int)InstanceState.Stopped;
    private int _restarts;
    private long _startedAtTicks;
    private InstanceStateChange? _lastCrash;

    public SupervisedInstance(SupervisedInstanceOptions options, ProcessSpawner? spawner = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Name);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Port, 65535);
        _options = options;
        _spawner = spawner ?? ProcessSpawner.Shared;
        Output = new OutputTail(options.OutputLines);
        // Bound to every address (an agent's app the balancer reaches from another machine): probed on loopback.
        var probeHost = options.BindAddress is "0.0.0.0" or "::" ? "127.0.0.1" : options.BindAddress.Contains(':', StringComparison.Ordinal) ? $"[{options.BindAddress}]" : options.BindAddress;
        var bindHost = options.BindAddress.Contains(':', StringComparison.Ordinal) ? $"[{options.BindAddress}]" : options.BindAddress;
        Address = new Uri($"http://{probeHost}:{options.Port}/");
        _environment = new Dictionary<string, string>(options.Environment)
        {
            ["ASPNETCORE_URLS"] = $"http://{bindHost}:{options.Port}",
        };
    }

    /// <summary>Raised on every state change, on the supervision loop's thread; handlers must not block.</summary>
    public event Action<InstanceStateChange>? StateChanged;

    public string Name => _options.Name;

    public int Port => _options.Port;

    public Uri Address { get; }

    public InstanceState State => (InstanceState)Volatile.Read(ref _state);

    /// <summary>The current child's pid, null when none runs.</summary>
    public int? ProcessId
    {
        get
        {
            var pid = Volatile.Read(ref _processId);
            return pid == 0 ? null : pid;
        }
    }

    /// <summary>How many times the instance was restarted after a crash.</summary>
    public int Restarts => Volatile.Read(ref _restarts);

    /// <summary>When the current child started; null when none runs.</summary>
    public DateTimeOffset? StartedAt
    {
        get
        {
            var ticks = Interlocked.Read(ref _startedAtTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>The child's latest output lines (all restarts), for diagnostics.</summary>
    public OutputTail Output { get; }

    /// <summary>
    /// The latest unexpected exit (or failed launch) since <see cref="Start"/>, null while there was none: what a
    /// start-up wait reports when the app dies before it is ready.
    /// </summary>
    public InstanceStateChange? LastCrash => Volatile.Read(ref _lastCrash);

    /// <summary>Starts supervising: launches the process and keeps it running until <see cref="StopAsync"/>.</summary>
    public void Start()
    {
        lock (_lock)
        {
            if (!_loop.IsCompleted || _stopping is not null)
            {
                throw new InvalidOperationException($"instance {Name} was already started.");
            }

            _loop = Task.Run(SuperviseAsync);
        }
    }

    /// <summary>
    /// Stops for good: no more restarts; if a process runs, drains it (callback), sends SIGTERM, and
    /// kills it after the stop timeout. Idempotent: concurrent callers share one stop.
    /// </summary>
    public Task StopAsync()
    {
        lock (_lock)
        {
            return _stopping ??= StopCoreAsync();
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private async Task StopCoreAsync()
    {
        // Ends the supervision loop first: whatever the process does from here on is not a crash.
        await _stopRequested.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);

        var process = Volatile.Read(ref _process);
        if (process is not null && !process.HasExited)
        {
            SetState(InstanceState.Stopping, "stop requested");
            await DrainAsync().ConfigureAwait(false);
            await TerminateAsync(process).ConfigureAwait(false);
            SetState(InstanceState.Stopped, $"stopped (exit code {process.ExitCode})");
        }
        else
        {
            SetState(InstanceState.Stopped, "stopped");
        }

        process?.Dispose();
        Volatile.Write(ref _process, null);
        Volatile.Write(ref _processId, 0);
        Interlocked.Exchange(ref _startedAtTicks, 0);
    }

    private async Task DrainAsync()
    {
        if (_options.DrainAsync is null)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(_options.DrainTimeout);
        try
        {
            await _options.DrainAsync(this, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // A failed or slow drain must not keep the process alive: the stop goes on, and says why.
            Output.Add($"[supervisor] drain did not complete: {ex.Message}");
        }
    }

    private async Task TerminateAsync(Process process)
    {
        ProcessSignals.Terminate(process);
        using var timeout = new CancellationTokenSource(_options.StopTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Output.Add($"[supervisor] no exit {_options.StopTimeout.TotalSeconds:0.#}s after SIGTERM; killing");
            ProcessSignals.Kill(process);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task SuperviseAsync()
    {
        var stop = _stopRequested.Token;
        var crashStreak = 0;
        while (!stop.IsCancellationRequested)
        {
            SetState(InstanceState.Starting, crashStreak == 0 ? "starting" : $"restart {Restarts}");
            Process process;
            try
            {
                process = await LaunchAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                SetState(InstanceState.Crashed, $"could not launch {_options.Launch.FileName}: {ex.Message}");
                if (!await BackOffAsync(crashStreak++, stop).ConfigureAwait(false))
                {
                    return;
                }

                continue;
            }

            var started = _options.Time.GetTimestamp();
            SetState(InstanceState.Running, $"pid {process.Id} on port {Port}");

            try
            {
                await process.WaitForExitAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return; // Stop requested: StopCoreAsync takes the process from here.
            }

            if (stop.IsCancellationRequested)
            {
                return;
            }

            Interlocked.Exchange(ref _startedAtTicks, 0);
            SetState(InstanceState.Crashed, DescribeExit(process));
            Volatile.Write(ref _process, null);
            Volatile.Write(ref _processId, 0);
            process.Dispose();
            if (_options.Time.GetElapsedTime(started) >= _options.Backoff.StablePeriod)
            {
                crashStreak = 0; // It ran long enough: this is a new incident, not a crash loop.
            }

            if (!await BackOffAsync(crashStreak++, stop).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <returns>False when a stop was requested while waiting.</returns>
    private async Task<bool> BackOffAsync(int attempt, CancellationToken stop)
    {
        var delay = _options.Backoff.DelayFor(attempt);
        SetState(InstanceState.BackingOff, $"restarting in {delay.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)}s", delay);
        try
        {
            await Task.Delay(delay, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        Interlocked.Increment(ref _restarts);
        return true;
    }

    private async Task<Process> LaunchAsync()
    {
        var process = await _spawner.StartAsync(_options.Launch, _environment, redirectOutput: true).ConfigureAwait(false);
        process.OutputDataReceived += OnOutput;
        process.ErrorDataReceived += OnOutput;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        Volatile.Write(ref _process, process);
        Volatile.Write(ref _processId, process.Id);
        Interlocked.Exchange(ref _startedAtTicks, DateTimeOffset.UtcNow.UtcTicks);
        return process;
    }

    private void OnOutput(object sender, DataReceivedEventArgs e)
    {
        if (e.Data is not null)
        {
            Output.Add(e.Data);
            _options.OutputObserver?.Invoke(e.Data);
        }
    }

    private string DescribeExit(Process process)
    {
        var code = process.ExitCode;
        // The runtime reports death by signal N as 128 + N; the app's last words do not explain a signal.
        if (code > 128 && code < 160 && !OperatingSystem.IsWindows())
        {
            // SIGABRT is the runtime's own way out after an unhandled exception, which the output then shows.
            return code == 134 ? $"aborted (signal 6, exit code {code})" : $"killed by signal {code - 128} (exit code {code})";
        }

        var lines = Output.Snapshot();
        return lines.Count == 0 ? $"exited with code {code}" : $"exited with code {code}; last output: {lines[^1].Trim()}";
    }

    private void SetState(InstanceState state, string reason, TimeSpan? restartDelay = null)
    {
        var previous = (InstanceState)Interlocked.Exchange(ref _state, (int)state);
        var change = new InstanceStateChange(Name, previous, state, ProcessId, reason, DateTimeOffset.UtcNow, restartDelay);
        if (state == InstanceState.Crashed)
        {
            Volatile.Write(ref _lastCrash, change);
        }

        StateChanged?.Invoke(change);
    }
}
