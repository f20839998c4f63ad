using System.Runtime.InteropServices;

namespace WebFarm.Commands;

/// <summary>
/// Ctrl+C and SIGTERM for every command: they cancel <see cref="Token"/>, which the parser hands to the command's
/// action, and the command stops gracefully (a role drains first). A command still running <see cref="_grace"/>
/// after the first signal is ended with the shell's exit code for that signal (130, 143).
/// </summary>
/// <remarks>
/// Registered before the command starts, in place of System.CommandLine's own handler: that one is armed only once
/// the action has returned its first incomplete task, and a signal arriving earlier ended the process at once with
/// 143. A role's start runs up to its "listening on" line before that can happen, so SIGTERM sent on seeing that line
/// (as a supervisor may) skipped the graceful stop (seen in CI: `RoleUnderSystemdTests`, exit code 143).
/// </remarks>
internal sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeSpan _grace;
    private readonly PosixSignalRegistration _interrupt;
    private readonly PosixSignalRegistration _terminate;
    private int _signalled;

    public StopSignals(TimeSpan grace)
    {
        _grace = grace;
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    public CancellationToken Token => _stop.Token;

    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        if (Interlocked.Exchange(ref _signalled, 1) != 0)
        {
            return;
        }

        var exitCode = context.Signal == PosixSignal.SIGINT ? 130 : 143;
        _ = ExitAfterGraceAsync(exitCode);
        _stop.Cancel();
    }

    private async Task ExitAfterGraceAsync(int exitCode)
    {
        await Task.Delay(_grace).ConfigureAwait(false);
        Console.Error.WriteLine($"webfarm: still running {_grace.TotalSeconds:0} s after the stop signal; exiting now.");
        Environment.Exit(exitCode);
    }
}
