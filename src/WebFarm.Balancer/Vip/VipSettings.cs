using System.Net;
using System.Net.Sockets;

namespace WebFarm.Balancer.Vip;

/// <summary>The checked settings of one node of a balancer pair: what <see cref="KeepalivedConfig"/> writes.</summary>
public sealed class VipSettings
{
    /// <summary>Linux interface names are at most 15 bytes (IFNAMSIZ 16 with the terminating zero).</summary>
    public const int MaxInterfaceNameLength = 15;

    /// <summary>VRRPv2 simple passwords are 8 bytes; keepalived silently cuts longer ones, so both nodes could disagree on what was meant.</summary>
    public const int MaxAuthPassLength = 8;

    private VipSettings(IReadOnlyList<VipAddress> addresses, string networkInterface, int priority, int routerId, IReadOnlyList<IPAddress> peers, string? authPass, Uri healthUrl, string name)
    {
        Addresses = addresses;
        Interface = networkInterface;
        Priority = priority;
        RouterId = routerId;
        Peers = peers;
        AuthPass = authPass;
        HealthUrl = healthUrl;
        Name = name;
    }

    public IReadOnlyList<VipAddress> Addresses { get; }

    public string Interface { get; }

    public int Priority { get; }

    public int RouterId { get; }

    public IReadOnlyList<IPAddress> Peers { get; }

    public string? AuthPass { get; }

    /// <summary>The local balancer's /healthz on its admin listener.</summary>
    public Uri HealthUrl { get; }

    public string Name { get; }

    /// <summary>
    /// Checks every option and reports every problem at once, each naming its option, the value and why
    /// (<see cref="VipOptionsException"/>). Whether the interface exists on this machine is not checked here: the
    /// configuration may be printed for another machine (the command checks it before it runs keepalived).
    /// </summary>
    public static VipSettings From(VipOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        var addresses = new List<VipAddress>();
        if (options.Addresses.Count == 0)
        {
            errors.Add("--vip: at least one virtual address is required, like --vip 10.0.0.100/24");
        }

        foreach (var text in options.Addresses)
        {
            if (!VipAddress.TryParse(text, out var vip, out var error))
            {
                errors.Add($"--vip '{text}': {error}");
            }
            else if (addresses.Exists(a => a.Address.Equals(vip.Address)))
            {
                errors.Add($"--vip '{text}': {vip.Address} is given twice");
            }
            else
            {
                addresses.Add(vip);
            }
        }

        var networkInterface = options.Interface.Trim();
        if (InterfaceNameError(networkInterface) is { } interfaceError)
        {
            errors.Add($"--interface '{options.Interface}': {interfaceError}");
        }

        if (options.Priority is < 1 or > 254)
        {
            errors.Add($"--priority {options.Priority}: must be from 1 to 254 (255 is reserved for the owner of the address, which a virtual address has none of)");
        }

        if (options.RouterId is < 1 or > 255)
        {
            errors.Add($"--router-id {options.RouterId}: must be from 1 to 255, the same on both nodes and used by no other VRRP pair on the segment");
        }

        var peers = new List<IPAddress>();
        foreach (var text in options.Peers)
        {
            var trimmed = text.Trim();
            if (!IPAddress.TryParse(trimmed, out var peer) || trimmed.Count('.') != 3 || peer.AddressFamily != AddressFamily.InterNetwork)
            {
                errors.Add($"--peer '{text}': not an IPv4 address (the other node's address on --interface)");
            }
            else if (addresses.Exists(a => a.Address.Equals(peer)))
            {
                errors.Add($"--peer '{text}': is one of the virtual addresses; give the other node's own address");
            }
            else if (!peers.Contains(peer))
            {
                peers.Add(peer);
            }
        }

        if (options.AuthPass is { } pass && (pass.Length is 0 or > MaxAuthPassLength || !IsPlainAscii(pass)))
        {
            errors.Add($"--auth-pass: must be 1 to {MaxAuthPassLength} printable ASCII characters without spaces or quotes (VRRPv2 simple password; it has {pass.Length})");
        }

        var healthUrl = HealthUrlOf(options.Track, out var trackError);
        if (trackError is not null)
        {
            errors.Add($"--track '{options.Track}': {trackError}");
        }

        if (!IsInstanceName(options.Name))
        {
            errors.Add($"--name '{options.Name}': use 1 to 32 letters, digits, '-' or '_'");
        }

        if (errors.Count > 0)
        {
            throw new VipOptionsException(errors);
        }

        return new VipSettings(addresses, networkInterface, options.Priority, options.RouterId, peers, options.AuthPass, healthUrl!, options.Name);
    }

    private static string? InterfaceNameError(string name)
    {
        if (name.Length == 0)
        {
            return "an interface name is required, like eth0 (`ip -br link` lists them)";
        }

        if (name.Length > MaxInterfaceNameLength)
        {
            return $"Linux interface names have at most {MaxInterfaceNameLength} characters";
        }

        if (name is "." or ".." || !IsPlainAscii(name) || name.Contains('/', StringComparison.Ordinal) || name.Contains(':', StringComparison.Ordinal))
        {
            return "not a valid interface name (no spaces, quotes, '/' or ':')";
        }

        return null;
    }

    /// <summary>The admin listener's URL or its /healthz URL → the /healthz URL; null with the reason otherwise.</summary>
    private static Uri? HealthUrlOf(string text, out string? error)
    {
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            error = "not an http:// or https:// URL of the local balancer's admin listener, like http://127.0.0.1:8089";
            return null;
        }

        if (!IsPlainAscii(uri.AbsoluteUri))
        {
            error = "the URL has characters that cannot go into keepalived's configuration (spaces or quotes)";
            return null;
        }

        error = null;
        return uri.AbsolutePath is "/" or "" ? new Uri(uri, "/healthz") : uri;
    }

    private static bool IsInstanceName(string name)
    {
        if (name.Length is 0 or > 32)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Printable ASCII without space, quotes, '#', '!' or backslash: safe as one keepalived configuration word.</summary>
    private static bool IsPlainAscii(string text)
    {
        foreach (var c in text)
        {
            if (c is <= ' ' or > '~' or '"' or '\'' or '#' or '!' or '\\')
            {
                return false;
            }
        }

        return true;
    }
}
