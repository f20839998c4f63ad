using System.Globalization;
using System.Net;

namespace WebFarm.Balancer.Tcp;

/// <summary>
/// The address of a TCP listener: "0.0.0.0:7000", a port range "10.0.0.5:7000-7010", "[::]:5432", "*:25" or
/// "localhost:7000" (a "tcp://" prefix is allowed). Port 0 (a single port) asks the system for a free one.
/// </summary>
internal readonly record struct TcpListenAddress(IPAddress Address, int FirstPort, int LastPort)
{
    /// <summary>The most ports one listener may bind: a range is a port rule, not a way to open every port by a typo.</summary>
    public const int MaxPorts = 1024;

    public int PortCount => LastPort - FirstPort + 1;

    public bool IsAnyAddress => Address.Equals(IPAddress.Any) || Address.Equals(IPAddress.IPv6Any);

    /// <summary>True when both listen on a common port of a common address (the second bind would fail).</summary>
    public bool Overlaps(TcpListenAddress other)
        => FirstPort != 0 && other.FirstPort != 0
            && FirstPort <= other.LastPort && other.FirstPort <= LastPort
            && (IsAnyAddress || other.IsAnyAddress || Address.Equals(other.Address));

    public static bool TryParse(string? text, out TcpListenAddress address, out string error)
    {
        address = default;
        const string example = "like \"0.0.0.0:7000\" or \"0.0.0.0:7000-7010\"";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = $"a TCP listen address is required, {example}";
            return false;
        }

        var rest = text.StartsWith("tcp://", StringComparison.OrdinalIgnoreCase) ? text[6..] : text;
        var colon = rest.LastIndexOf(':');
        if (colon < 0 || rest.EndsWith(']'))
        {
            error = $"\"{text}\" needs a port or a port range, {example}";
            return false;
        }

        var host = rest[..colon];
        var ports = rest[(colon + 1)..];
        var dash = ports.IndexOf('-', StringComparison.Ordinal);
        var firstText = dash < 0 ? ports : ports[..dash];
        var lastText = dash < 0 ? ports : ports[(dash + 1)..];
        if (!TryPort(firstText, out var first) || !TryPort(lastText, out var last))
        {
            error = $"\"{text}\": '{ports}' is not a port (0-65535) or a range of ports (\"7000-7010\")";
            return false;
        }

        if (dash >= 0 && (first == 0 || last < first))
        {
            error = $"\"{text}\": the range {ports} must go from a lower to a higher port, both 1-65535";
            return false;
        }

        if (last - first + 1 > MaxPorts)
        {
            error = $"\"{text}\": the range has {last - first + 1} ports; at most {MaxPorts} per listener";
            return false;
        }

        IPAddress ip;
        if (host is "*" or "+" or "0.0.0.0")
        {
            ip = IPAddress.Any;
        }
        else if (host == "[::]")
        {
            ip = IPAddress.IPv6Any;
        }
        else if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            ip = IPAddress.Loopback;
        }
        else if (!IPAddress.TryParse(host.Trim('[', ']'), out ip!))
        {
            error = $"\"{text}\": listen on an IP address, \"localhost\" or \"*\", not the host name '{host}'";
            return false;
        }

        address = new TcpListenAddress(ip, first, last);
        error = string.Empty;
        return true;
    }

    private static bool TryPort(string text, out int port)
        => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port <= 65535;
}
