using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace WebFarm.Balancer.Admin;

/// <summary>
/// Bearer-token check for the admin listener (and the controller API). Both sides are hashed before a fixed-time
/// compare so that neither the content nor the length of the token leaks through timing.
/// </summary>
internal sealed class AdminTokenCheck(string token)
{
    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public bool IsAuthorized(HttpRequest request)
    {
        return PresentedToken(request) is { } presented && Matches(presented);
    }

    /// <summary>True when <paramref name="presented"/> is the token (the dashboard's login form uses this too).</summary>
    public bool Matches(string presented)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), hash);
        return CryptographicOperations.FixedTimeEquals(hash, _expected);
    }

    /// <summary>The token of a single "Authorization: Bearer &lt;token&gt;" header, or null.</summary>
    public static string? PresentedToken(HttpRequest request)
    {
        var header = request.Headers.Authorization;
        if (header.Count != 1)
        {
            return null;
        }

        var value = header[0].AsSpan();
        const string scheme = "Bearer ";
        if (!value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return value[scheme.Length..].Trim().ToString();
    }
}
