using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using WebFarm.Agent.Control;
using WebFarm.Agent.Supervision;
using WebFarm.Agent.Trace;

namespace WebFarm.Agent.Commands;

/// <summary>
/// Runs `webfarm run` commands on this server, only when the agent was started with --allow-commands (off by
/// default: every command is refused with the reason). Each id runs once. Output lines queue as they are printed and
/// go with the next heartbeat (<see cref="Outgoing"/>), so the operator sees them while the command runs; a result
/// goes only after every line of its command has gone.
/// </summary>
public sealed class CommandRunner(bool allowed, TraceRing trace)
{
    /// <summary>Output kept per command (its first 64 K characters): a chatty command cannot fill the agent's memory.</summary>
    private const int MaxOutputChars = 64 * 1024;

    private readonly ConcurrentDictionary<string, bool> _seen = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly List<CommandOutput> _lines = [];
    private readonly List<CommandResult> _results = [];

    public bool Allowed => allowed;

    /// <summary>Starts the commands not seen before (in the background).</summary>
    public void Accept(IReadOnlyList<CommandRequest>? requests)
    {
        foreach (var request in requests ?? [])
        {
            if (_seen.TryAdd(request.Id, true))
            {
                _ = Task.Run(() => RunAsync(request));
            }
        }
    }

    /// <summary>
    /// What the next heartbeat carries: the oldest <paramref name="maxLines"/> output lines, and the results of the
    /// commands none of whose lines stay behind. Nothing is forgotten until <see cref="Sent"/>.
    /// </summary>
    public (List<CommandOutput> Lines, List<CommandResult> Results) Outgoing(int maxLines)
    {
        lock (_lock)
        {
            var lines = _lines.GetRange(0, Math.Min(maxLines, _lines.Count));
            var results = new List<CommandResult>(_results.Count);
            foreach (var result in _results)
            {
                if (!_lines.Skip(lines.Count).Any(l => l.Id == result.Id))
                {
                    results.Add(result);
                }
            }

            return (lines, results);
        }
    }

    /// <summary>Forgets what a heartbeat the controller answered carried.</summary>
    public void Sent(List<CommandOutput> lines, List<CommandResult> results)
    {
        lock (_lock)
        {
            _lines.RemoveRange(0, lines.Count); // Only this loop removes, and lines are only appended meanwhile.
            _results.RemoveAll(results.Contains);
        }
    }

    private void Finish(CommandResult result)
    {
        lock (_lock)
        {
            _results.Add(result);
        }
    }

    private async Task RunAsync(CommandRequest request)
    {
        var text = string.Join(' ', request.Command);
        if (!allowed)
        {
            trace.Add("agent", $"refused `webfarm run {text}`: the agent was not started with --allow-commands");
            Finish(new CommandResult(request.Id, null, string.Empty, "this agent was not started with --allow-commands (commands are off by default)"));
            return;
        }

        if (request.Command.Count == 0)
        {
            Finish(new CommandResult(request.Id, null, string.Empty, "no command"));
            return;
        }

        trace.Add("agent", $"running `{text}`");
        long seq = 0;
        var chars = 0;
        void Keep(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }

            lock (_lock)
            {
                if (chars >= MaxOutputChars)
                {
                    return;
                }

                chars += e.Data.Length + 1;
                _lines.Add(new CommandOutput(request.Id, seq++, chars < MaxOutputChars ? e.Data : e.Data + $" [output cut at {MaxOutputChars / 1024} K characters]"));
            }
        }

        Process process;
        try
        {
            var launch = new AppLaunch(request.Command[0], [.. request.Command.Skip(1)], Environment.CurrentDirectory, "run");
            process = await ProcessSpawner.Shared.StartAsync(launch, new Dictionary<string, string>(), redirectOutput: true).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            Finish(new CommandResult(request.Id, null, string.Empty, $"could not start '{request.Command[0]}': {ex.Message}"));
            return;
        }

        using (process)
        {
            process.OutputDataReceived += Keep;
            process.ErrorDataReceived += Keep;
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(request.TimeoutSeconds));
            string? error = null;
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                ProcessSignals.Kill(process);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                error = string.Create(CultureInfo.InvariantCulture, $"timed out after {request.TimeoutSeconds:0.#} s; killed");
            }

            process.WaitForExit(); // Drains the output readers: every line is queued before the result.
            var exitCode = error is null ? process.ExitCode : (int?)null;
            trace.Add("agent", error is null ? $"`{text}` exited with {exitCode}" : $"`{text}` {error}");
            Finish(new CommandResult(request.Id, exitCode, string.Empty, error));
        }
    }
}
