using System.Diagnostics;

namespace WebFarm.Agent.Tests.Infrastructure;

internal static class ProcessProbe
{
    /// <summary>True when a process with this pid exists and is not a zombie.</summary>
    public static bool IsAlive(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        if (OperatingSystem.IsLinux())
        {
            try
            {
                var text = File.ReadAllText(stat);
                // Field 3, after the parenthesised command name, is the state; Z = exited, not yet reaped.
                var state = text[(text.LastIndexOf(')') + 2)..][0];
                return state != 'Z' && state != 'X';
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

    public static void KillHard(int pid)
    {
        using var kill = Process.Start("kill", ["-9", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }
}
