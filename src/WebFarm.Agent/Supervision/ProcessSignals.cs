using System.Diagnostics;
using WebFarm.Balancer.Transport;

namespace WebFarm.Agent.Supervision;

/// <summary>
/// Graceful and forced termination. .NET's Process.Kill only sends SIGKILL on Unix; a graceful stop
/// needs SIGTERM, which ASP.NET Core turns into an orderly shutdown (stop accepting, finish requests).
/// </summary>
public static class ProcessSignals
{
    /// <summary>Asks the process to stop (SIGTERM). On Windows there is no such signal: it is killed.</summary>
    /// <returns>False when the process no longer exists.</returns>
    public static bool Terminate(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        if (OperatingSystem.IsWindows())
        {
            return Kill(process);
        }

        return Libc.Kill(process.Id, Libc.SIGTERM) == 0;
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
}
