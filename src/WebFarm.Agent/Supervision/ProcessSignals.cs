using System.Diagnostics;
using System.Runtime.InteropServices;

namespace WebFarm.Agent.Supervision;

/// <summary>
/// Graceful and forced termination. .NET's Process.Kill only sends SIGKILL on Unix; a graceful stop
/// needs SIGTERM, which ASP.NET Core turns into an orderly shutdown (stop accepting, finish requests).
/// </summary>
public static partial class ProcessSignals
{
    private const int SigTerm = 15;

    /// <summary>Asks the process to stop (SIGTERM). On Windows there is no such signal: it is killed.</summary>
    /// <returns>False when the process no longer exists.</returns>
    public static bool Terminate(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        if (OperatingSystem.IsWindows())
        {
            return Kill(process);
        }

        return SendSignal(process.Id, SigTerm) == 0;
    }

    /// <summary>Kills the process and its descendants (SIGKILL).</summary>
    /// <returns>False when the process had already exited.</returns>
    public static bool Kill(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        try
        {
            process.Kill(entireProcessTree: true);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false; // Already exited.
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}
