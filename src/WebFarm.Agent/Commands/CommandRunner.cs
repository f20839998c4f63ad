using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using WebFarm.Agent.Control;
using WebFarm.Agent.Supervision;
using WebFarm.Agent.Trace;

namespace WebFarm.Agent.Commands;

/// <summary>
/// Runs `webfarm run` commands on this server, only when the agent was started with --allow-commands (off by
/// default: every command is refused with the reason). Each id runs once; results wait for the next heartbeat.
/// </summary>
public sealed class CommandRunner(bool allowed, TraceRing trace)
{
    private const int MaxOutputChars = 64 * 1024;
    private readonly ConcurrentDictionary<string, bool> _seen = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<CommandResult> _results = new();

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

    /// <summary>Results not sent yet; <see cref="Sent"/> forgets them once a heartbeat carried them.</summary>
    public List<CommandResult> Pending() => [.. _results];

    public void Sent(int count)
    {
        for (var i = 0; i < count; i++)
        {
            _results.TryDequeue(out _);
        }
    }

    private async Task RunAsync(CommandRequest request)
    {
        var text = string.Join(' ', request.Command);
        if (!allowed)
        {
            trace.Add("agent", $"refused `webfarm run {text}`: the agent was not started with --allow-commands");
            _results.Enqueue(new CommandResult(request.Id, null, string.Empty, "this agent was not started with --allow-commands (commands are off by default)"));
            return;
        }

        if (request.Command.Count == 0)
        {
            _results.Enqueue(new CommandResult(request.Id, null, string.Empty, "no command"));
            return;
        }

        trace.Add("agent", $"running `{text}`");
        var output = new StringBuilder();
        void Keep(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }

            lock (output)
            {
                if (output.Length < MaxOutputChars)
                {
                    output.Append(e.Data).Append('\n');
                }
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
            _results.Enqueue(new CommandResult(request.Id, null, string.Empty, $"could not start '{request.Command[0]}': {ex.Message}"));
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

            process.WaitForExit(); // Drains the output readers.
            string collected;
            lock (output)
            {
                collected = output.ToString();
            }

            var exitCode = error is null ? process.ExitCode : (int?)null;
            trace.Add("agent", error is null ? $"`{text}` exited with {exitCode}" : $"`{text}` {error}");
            _results.Enqueue(new CommandResult(request.Id, exitCode, collected, error));
        }
    }
}
