using System.Globalization;

namespace WebFarm.AspNetCore.Resp;

/// <summary>A parsed <c>host:port</c> (IPv6 as <c>[::1]:6379</c>).</summary>
public sealed record RespEndPoint(string Host, int Port)
{
    /// <summary>Parses <c>host:port</c>; <paramref name="source"/> names the setting in the error message.</summary>
    /// <exception cref="FormatException">The text is not host:port with a port in 1..65535.</exception>
    public static RespEndPoint Parse(string? text, string source)
    {
        if (!TryParse(text, out var endPoint))
        {
            throw new FormatException($"{source}: '{text}' is not a valid endpoint; expected host:port, e.g. 127.0.0.1:42424.");
        }

        return endPoint;
    }

    /// <summary>Tries to parse <c>host:port</c>.</summary>
    public static bool TryParse(string? text, out RespEndPoint endPoint)
    {
        endPoint = null!;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            return false;
        }

        string host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        else if (host.Contains(':'))
        {
            return false;
        }

        if (host.Length == 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
        {
            return false;
        }

        endPoint = new RespEndPoint(host, port);
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
