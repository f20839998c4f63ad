namespace WebFarm.Balancer.Hosting;

/// <summary>
/// The balancer's inline I/O mode. With it, .NET runs socket continuations on the socket engine's own threads
/// (one per core) instead of handing each one to the thread pool, and Kestrel runs the request pipeline there
/// too. For a proxy whose work per request is a few microseconds of parsing between two sockets, the hand-offs
/// cost more than the work: measured in bench/balancer, inline I/O cuts CPU per request by about a third.
/// The price is that anything blocking on the data plane would stall every connection of that engine thread,
/// so the data plane never blocks (no sync-over-async, no synchronous file or network I/O). The runtime reads
/// the switch once, when the first socket is created, from the environment; hence this class only reads and
/// sets that variable.
/// </summary>
public static class InlineSocketCompletions
{
    public const string EnvironmentVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>True when this process runs socket continuations inline.</summary>
    public static bool Enabled => Environment.GetEnvironmentVariable(EnvironmentVariable) == "1";

    /// <summary>
    /// Turns the mode on for this process unless the environment already chose (set the variable to 0 to opt
    /// out). Call before any socket is created; returns whether the mode is on.
    /// </summary>
    public static bool EnableUnlessConfigured()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is null)
        {
            Environment.SetEnvironmentVariable(EnvironmentVariable, "1");
        }

        return Enabled;
    }
}
