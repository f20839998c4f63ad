using System.Diagnostics;
using System.Globalization;

namespace WebFarm.Testing;

/// <summary>Looks at, signals and stops processes: by id (the children a test's programs started, which it holds no handle to) or a test's own children.</summary>
public static class ProcessProbe
{
    /// <summary>True when a process with this pid exists and is not a zombie.</summary>
    public static bool IsAlive(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                var text = File.ReadAllText($"/proc/{pid}/stat");
                // The state follows the parenthesised command name; Z = exited but not yet reaped, X = dead.
                var state = text[(text.LastIndexOf(')') + 2)..][0];
                return state is not ('Z' or 'X');
            }
            catch (IOException)
            {
                return false;
            }
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>
    /// Waits until every thread of the process is stopped (after a STOP signal): kill(1) returns once the signal is
    /// queued, and on a busy machine threads running on another core may still finish a request or two before they stop.
    /// Linux only (elsewhere it returns at once); throws when the process is not stopped within <paramref name="timeout"/>.
    /// </summary>
    public static void WaitUntilStopped(int pid, TimeSpan timeout)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var deadline = Stopwatch.StartNew();
        while (!AllThreadsStopped(pid))
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"process {pid} was not stopped {timeout.TotalSeconds:F0} s after SIGSTOP");
            }

            Thread.Sleep(1);
        }
    }

    /// <summary>Sends a signal ("KILL", "TERM", "STOP", "CONT") with kill(1); throws when it could not be delivered.</summary>
    public static void Signal(int pid, string signal)
    {
        if (!TrySignal(pid, signal))
        {
            throw new InvalidOperationException($"kill -{signal} {pid} failed (no such process?)");
        }
    }

    /// <summary>Sends a signal with kill(1); false when it could not be delivered (e.g. the process is gone already).</summary>
    public static bool TrySignal(int pid, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)]);
        if (!kill.WaitForExit(10_000))
        {
            kill.Kill();
            return false;
        }

        return kill.ExitCode == 0;
    }

    /// <summary>SIGKILL, as a crash would; a process that is already gone is fine.</summary>
    public static void KillHard(int pid) => TrySignal(pid, "KILL");

    /// <summary>
    /// Stops a test's child process: <paramref name="ask"/> asks it to stop (close its standard input, SIGTERM), it gets
    /// <paramref name="grace"/> to exit, then it is killed with its children; disposed in any case.
    /// </summary>
    public static async Task StopAsync(Process process, Action ask, TimeSpan grace)
    {
        try
        {
            if (!process.HasExited)
            {
                ask();
                using var timeout = new CancellationTokenSource(grace);
                try
                {
                    await process.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            process.Dispose();
        }
    }

    /// <summary>Every thread's state in /proc is T (stopped) or t (traced); false while any runs or sleeps.</summary>
    private static bool AllThreadsStopped(int pid)
    {
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                var text = File.ReadAllText(Path.Combine(task, "stat"));
                var state = text[(text.LastIndexOf(')') + 2)..][0];
                if (state is not ('T' or 't'))
                {
                    return false;
                }
            }

            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A thread that ended between the listing and the read: look again.
            return false;
        }
    }
}
