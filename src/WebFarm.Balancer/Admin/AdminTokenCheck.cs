using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace WebFarm.Balancer.Admin;

/// <summary>
/// Bearer-token check for the admin listener. Both sides are hashed before a fixed-time compare so that
/// neither the content nor the length of the token leaks through timing.
/// </summary>
internal sealed class AdminTokenCheck(string token)
{
    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public bool IsAuthorized(HttpRequest request)
    {
        var header = request.Headers.Authorization;
        if (header.Count != 1)
        {
            return false;
        }

        var value = header[0].AsSpan();
        const string scheme = "Bearer ";
        if (!value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var presented = value[scheme.Length..].Trim();
        Span<byte> hash = stackalloc byte[32];
        var bytes = Encoding.UTF8.GetBytes(presented.ToString());
        SHA256.HashData(bytes, hash);
        return CryptographicOperations.FixedTimeEquals(hash, _expected);
    }
}
