using System.Diagnostics;
using System.Globalization;

namespace WebFarm.Controller.Tests.MultiMachine;

/// <summary>
/// "Machines" on one host: each is a network namespace wfct-mN joined to the host by a veth pair (host side wfct-hN
/// = 10.231.N.1/24, machine side wfct-nN = 10.231.N.2/24, default route via the host). Everything the tests create
/// carries the wfct- prefix, so leftovers of a crashed run are removed by name before a new run and after each.
/// WEBFARM_TEST_NET=K (0-9) moves a run to the prefix wfctK- and the addresses 10.(231+K).N.x, so engineers working
/// in parallel on one host do not remove each other's machines.
/// <para>
/// Bridged (<see cref="Create(int, bool)"/>): the machines share one segment instead, as machines on one switch do: the
/// host sides are ports of the bridge wfct-br (10.231.0.1/24, <see cref="BridgeHostAddress"/>), machine N is
/// 10.231.0.(N+1) (<see cref="BridgeAddress"/>). ARP, gratuitous ARP and VRRP pass between the machines and the host.
/// </para>
/// </summary>
internal sealed class MachineNetwork : IDisposable
{
    private static readonly int NetworkIndex = ReadNetworkIndex();

    public static readonly string Prefix = NetworkIndex == 0 ? "wfct-" : "wfct" + NetworkIndex.ToString(CultureInfo.InvariantCulture) + "-";

    private static readonly string SubnetBase = "10." + (231 + NetworkIndex).ToString(CultureInfo.InvariantCulture) + ".";

    private const string CutTable = "wfct_cut";

    private MachineNetwork(int count)
    {
        Count = count;
    }

    public int Count { get; }

    public static string Namespace(int machine) => Prefix + "m" + machine.ToString(CultureInfo.InvariantCulture);

    public static string HostAddress(int machine) => SubnetBase + machine.ToString(CultureInfo.InvariantCulture) + ".1";

    public static string MachineAddress(int machine) => SubnetBase + machine.ToString(CultureInfo.InvariantCulture) + ".2";

    /// <summary>The machine's end of its link, inside its namespace (wfct-nN).</summary>
    public static string MachineInterface(int machine) => Prefix + "n" + machine.ToString(CultureInfo.InvariantCulture);

    /// <summary>Bridged: the host's address on the shared segment.</summary>
    public static string BridgeHostAddress => SubnetBase + "0.1";

    /// <summary>Bridged: machine <paramref name="machine"/>'s address on the shared segment.</summary>
    public static string BridgeAddress(int machine) => SubnetBase + "0." + (machine + 1).ToString(CultureInfo.InvariantCulture);

    /// <summary>Bridged: an address of the shared segment that no machine has, e.g. 200 → 10.231.0.200.</summary>
    public static string BridgeSpareAddress(int host) => SubnetBase + "0." + host.ToString(CultureInfo.InvariantCulture);

    private static int ReadNetworkIndex()
    {
        var value = Environment.GetEnvironmentVariable("WEBFARM_TEST_NET");
        if (string.IsNullOrEmpty(value))
        {
            return 0;
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index is >= 0 and <= 9
            ? index
            : throw new InvalidOperationException($"WEBFARM_TEST_NET='{value}' is not a network index from 0 to 9");
    }

    /// <summary>Whether this process may create network namespaces (tried, not guessed), and why not.</summary>
    public static bool IsPermitted(out string reason)
    {
        var probe = Prefix + "probe" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var (code, output) = Run("ip", "netns", "add", probe);
        if (code != 0)
        {
            reason = $"`ip netns add` failed ({code}): {output.Trim()}";
            return false;
        }

        Run("ip", "netns", "del", probe);
        reason = string.Empty;
        return true;
    }

    public static MachineNetwork Create(int count, bool bridged = false)
    {
        RemoveLeftovers();
        var network = new MachineNetwork(count);
        try
        {
            var bridge = Prefix + "br";
            if (bridged)
            {
                Must("ip", "link", "add", bridge, "type", "bridge");
                Must("ip", "addr", "add", BridgeHostAddress + "/24", "dev", bridge);
                Must("ip", "link", "set", bridge, "up");
            }

            for (var n = 1; n <= count; n++)
            {
                var ns = Namespace(n);
                var host = Prefix + "h" + n.ToString(CultureInfo.InvariantCulture);
                var inside = MachineInterface(n);
                Must("ip", "netns", "add", ns);
                Must("ip", "link", "add", host, "type", "veth", "peer", "name", inside, "netns", ns);
                if (bridged)
                {
                    Must("ip", "link", "set", host, "master", bridge);
                }
                else
                {
                    Must("ip", "addr", "add", HostAddress(n) + "/24", "dev", host);
                }

                Must("ip", "link", "set", host, "up");
                Must("ip", "netns", "exec", ns, "ip", "addr", "add", (bridged ? BridgeAddress(n) : MachineAddress(n)) + "/24", "dev", inside);
                Must("ip", "netns", "exec", ns, "ip", "link", "set", inside, "up");
                Must("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
                Must("ip", "netns", "exec", ns, "ip", "route", "add", "default", "via", bridged ? BridgeHostAddress : HostAddress(n));
            }
        }
        catch
        {
            network.Dispose();
            throw;
        }

        return network;
    }

    public void Dispose() => RemoveLeftovers();

    /// <summary>
    /// nftables inside machine <paramref name="machine"/> silently drops every packet to and from the host's
    /// <paramref name="port"/> (no RST, no ICMP: a cut cable as the machine's software sees it). Deleting the namespace
    /// deletes the table too.
    /// </summary>
    public static void DropTraffic(int machine, int port)
    {
        var ns = Namespace(machine);
        var p = port.ToString(CultureInfo.InvariantCulture);
        Must("ip", "netns", "exec", ns, "nft", "add", "table", "inet", CutTable);
        Must("ip", "netns", "exec", ns, "nft", "add", "chain", "inet", CutTable, "out", "{ type filter hook output priority 0 ; }");
        Must("ip", "netns", "exec", ns, "nft", "add", "chain", "inet", CutTable, "in", "{ type filter hook input priority 0 ; }");
        Must("ip", "netns", "exec", ns, "nft", "add", "rule", "inet", CutTable, "out", "tcp", "dport", p, "drop");
        Must("ip", "netns", "exec", ns, "nft", "add", "rule", "inet", CutTable, "in", "tcp", "sport", p, "drop");
    }

    /// <summary>Removes what <see cref="DropTraffic"/> added: packets pass again.</summary>
    public static void PassTraffic(int machine) => Must("ip", "netns", "exec", Namespace(machine), "nft", "delete", "table", "inet", CutTable);

    /// <summary>The IPv4 addresses on machine <paramref name="machine"/>'s link, as `ip -n NS addr` shows them.</summary>
    public static IReadOnlyList<string> Addresses(int machine)
    {
        var addresses = new List<string>();
        foreach (var line in Run("ip", "-n", Namespace(machine), "-o", "-4", "addr", "show", "dev", MachineInterface(machine)).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // "2: wfct-n1    inet 10.231.0.2/24 brd ... scope global wfct-n1": the address follows "inet".
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var inet = Array.IndexOf(fields, "inet");
            if (inet >= 0 && inet + 1 < fields.Length)
            {
                addresses.Add(fields[inet + 1].Split('/')[0]);
            }
        }

        return addresses;
    }

    /// <summary>
    /// Deletes every namespace and link named wfct-* (deleting a namespace also deletes the veth ends in it), after
    /// killing what still runs in those namespaces: a process a failed test left behind (keepalived outlives the
    /// `webfarm vip` that started it when that one is killed) would hold on to its addresses and pid files.
    /// </summary>
    private static void RemoveLeftovers()
    {
        foreach (var line in Run("ip", "netns", "list").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = line.Split(' ')[0];
            if (name.StartsWith(Prefix, StringComparison.Ordinal))
            {
                foreach (var pid in Run("ip", "netns", "pids", name).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    Run("kill", "-KILL", pid.Trim());
                }

                Run("ip", "netns", "del", name);
            }
        }

        foreach (var line in Run("ip", "-o", "link", "show").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // "12: wfct-h1@if11: <BROADCAST,...": the name is the second field, up to '@' or ':'.
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 1 && fields[1].StartsWith(Prefix, StringComparison.Ordinal))
            {
                Run("ip", "link", "del", fields[1].Split('@', ':')[0]);
            }
        }
    }

    private static void Must(params string[] command)
    {
        var (code, output) = Run(command);
        if (code != 0)
        {
            throw new InvalidOperationException($"`{string.Join(' ', command)}` failed ({code}): {output.Trim()}");
        }
    }

    private static (int Code, string Output) Run(params string[] command)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in command.AsSpan(1))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(30_000))
        {
            process.Kill();
            return (-1, "timed out");
        }

        return (process.ExitCode, output.Result + error);
    }
}
