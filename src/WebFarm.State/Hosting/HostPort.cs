using System.Globalization;

namespace WebFarm.State.Hosting;

/// <summary>Parses "host:port" (IPv6 as "[::1]:6379").</summary>
public static class HostPort
{
    public static bool TryParse(string? text, out string host, out int port, out string? error)
    {
        host = string.Empty;
        port = 0;
        error = null;
        var value = text?.Trim() ?? string.Empty;
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || colon == value.Length - 1)
        {
            error = $"'{text}' is not host:port (for example 10.0.0.5:42424)";
            return false;
        }

        host = value[..colon].Trim('[', ']');
        if (!int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            error = $"'{text}' has an invalid port: expected 1-65535";
            return false;
        }

        return true;
    }
}
