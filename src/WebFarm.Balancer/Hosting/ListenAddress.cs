using System.Globalization;
using System.Net;

namespace WebFarm.Balancer.Hosting;

/// <summary>
/// A parsed listen URL ("http://127.0.0.1:8080", "http://*:80", "http://localhost:0", "http://[::1]:8080", and for
/// client listeners "https://0.0.0.0:443"). The admin API and the controller's listeners are http only.
/// </summary>
public readonly record struct ListenAddress(IPAddress? Address, bool AnyAddress, bool Localhost, int Port, bool Https = false)
{
    public bool IsLoopback => Localhost || (Address is not null && IPAddress.IsLoopback(Address));

    /// <param name="allowHttps">Whether https:// is accepted (client listeners only).</param>
    public static bool TryParse(string? url, out ListenAddress address, out string error, bool allowHttps = false)
    {
        address = default;
        if (string.IsNullOrWhiteSpace(url))
        {
            error = "a listen URL is required, like \"http://127.0.0.1:8080\"";
            return false;
        }

        var https = url.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        if (https && !allowHttps)
        {
            error = $"\"{url}\": this listener is http only (https is for client listeners in Listen)";
            return false;
        }

        var prefix = https ? "https://" : "http://";
        if (!url.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            error = allowHttps
                ? $"\"{url}\" is not an http:// or https:// URL like \"http://127.0.0.1:8080\""
                : $"\"{url}\" is not an http:// URL like \"http://127.0.0.1:8080\"";
            return false;
        }

        var rest = url[prefix.Length..].TrimEnd('/');
        var colon = rest.LastIndexOf(':');
        if (colon < 0 || rest.EndsWith(']'))
        {
            error = $"\"{url}\" needs a port, like \"{prefix}127.0.0.1:8080\"";
            return false;
        }

        var host = rest[..colon];
        if (!int.TryParse(rest.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            error = $"\"{url}\": '{rest[(colon + 1)..]}' is not a port number (0-65535)";
            return false;
        }

        if (host is "*" or "+" or "0.0.0.0" or "[::]")
        {
            address = new ListenAddress(null, AnyAddress: true, Localhost: false, port, https);
        }
        else if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            address = new ListenAddress(null, AnyAddress: false, Localhost: true, port, https);
        }
        else if (IPAddress.TryParse(host.Trim('[', ']'), out var ip))
        {
            address = new ListenAddress(ip, AnyAddress: false, Localhost: false, port, https);
        }
        else
        {
            error = $"\"{url}\": listen on an IP address, \"localhost\" or \"*\", not the host name '{host}'";
            return false;
        }

        error = string.Empty;
        return true;
    }
}
