using WebFarm.Balancer.Configuration;

namespace WebFarm.Balancer.Hosting;

/// <summary>
/// The settings read only at start: the listeners, the admin API, the state directory and the socket engine (they
/// decide what Kestrel binds and which files and transport the process uses). A reload keeps their running values and
/// names the ones the file changed, so the config-reloaded event tells the operator a restart is still due.
/// </summary>
internal static class RestartOnlySettings
{
    /// <summary>The restart-only keys whose value in <paramref name="next"/> differs from the running one.</summary>
    public static List<string> Changed(BalancerConfig next, BalancerConfig running)
    {
        var changed = new List<string>();
        if (!next.Listen.SequenceEqual(running.Listen))
        {
            changed.Add("Listen");
        }

        if (next.Admin != running.Admin)
        {
            changed.Add("Admin");
        }

        if (next.StateDirectory != running.StateDirectory)
        {
            changed.Add("StateDirectory");
        }

        if (next.SocketEngine != running.SocketEngine)
        {
            changed.Add("SocketEngine");
        }

        return changed;
    }

    /// <summary><paramref name="next"/> with the running values of the restart-only keys.</summary>
    public static BalancerConfig KeepRunning(BalancerConfig next, BalancerConfig running)
        => next with { Listen = running.Listen, Admin = running.Admin, StateDirectory = running.StateDirectory, SocketEngine = running.SocketEngine };
}
