using System.Diagnostics;
using System.Globalization;

namespace WebFarm.Testing;

/// <summary>Looks at and signals processes by id (the children a test's programs started, which it holds no handle to).</summary>
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
}
