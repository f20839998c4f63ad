using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Affinity;

/// <summary>
/// Cookie affinity (ARR's client affinity, Application Center's routing cookie): the cookie names the server and
/// carries a MAC, so a forged, tampered or stale (unknown server) cookie is simply ignored and the client is
/// balanced as new. The cookie is HttpOnly, SameSite=Lax, Secure on HTTPS, a session cookie unless a lifetime
/// is configured, and reissued only when the binding changes.
/// </summary>
public sealed class CookieAffinityProvider : IAffinityProvider
{
    private readonly AffinityCookieCodec _codec;
    private readonly string _cookieName;
    private readonly TimeSpan? _lifetime;
    private readonly AffinityFailurePolicy _onUnavailable;
    private readonly TimeSpan _drainTimeout;
    private readonly TimeProvider _time;

    public CookieAffinityProvider(
        string farm,
        ReadOnlySpan<byte> key,
        string cookieName = DefaultCookieName,
        TimeSpan? lifetime = null,
        AffinityFailurePolicy onUnavailable = AffinityFailurePolicy.Redistribute,
        TimeSpan? drainTimeout = null,
        TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(farm);
        if (ValidateCookieName(cookieName) is { } error)
        {
            throw new ArgumentException(error, nameof(cookieName));
        }

        if (lifetime is { } l && l <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), "The cookie lifetime must be positive (or null for a session cookie).");
        }

        _codec = new AffinityCookieCodec(farm, key);
        _cookieName = cookieName;
        _lifetime = lifetime;
        _onUnavailable = onUnavailable;
        _drainTimeout = drainTimeout ?? DefaultDrainTimeout;
        _time = time ?? TimeProvider.System;
    }

    public const string DefaultCookieName = "WebFarmAffinity";

    /// <summary>Application Center's default: bound clients may stay on a draining server for 20 minutes.</summary>
    public static readonly TimeSpan DefaultDrainTimeout = TimeSpan.FromMinutes(20);

    public string CookieName => _cookieName;

    public AffinityLookup Lookup(HttpContext context, IReadOnlyList<ServerRuntime> servers)
    {
        // Hot path: no cookie collection, no decoding, no hashing. The value for a server is deterministic and
        // cached, so a genuine cookie is exactly one of the farm's cached values; anything else (forged, tampered,
        // for a server that left the farm) matches none and is ignored. Compared in constant time, so response
        // timing does not reveal how much of a guessed MAC was right.
        if (!TryGetCookie(context.Request.Headers.Cookie, _cookieName, out var value) || value.Length > AffinityCookieCodec.MaxValueLength)
        {
            return AffinityLookup.Unbound;
        }

        for (var i = 0; i < servers.Count; i++)
        {
            var server = servers[i];
            if (FixedTimeEquals(value, _codec.Encode(server.Name)))
            {
                return AffinityBinding.Evaluate(server, _onUnavailable, _drainTimeout, _time.GetUtcNow());
            }
        }

        return AffinityLookup.Unbound;
    }

    /// <summary>Finds <paramref name="name"/> in Cookie header values ("a=1; b=2") without allocating.</summary>
    internal static bool TryGetCookie(StringValues headers, string name, out ReadOnlySpan<char> value)
    {
        foreach (var header in headers)
        {
            var rest = header.AsSpan();
            while (!rest.IsEmpty)
            {
                var semicolon = rest.IndexOf(';');
                var pair = (semicolon < 0 ? rest : rest[..semicolon]).Trim(" \t");
                rest = semicolon < 0 ? default : rest[(semicolon + 1)..];
                if (pair.Length > name.Length && pair[name.Length] == '=' && pair.StartsWith(name, StringComparison.Ordinal))
                {
                    value = pair[(name.Length + 1)..].Trim(" \t");
                    if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
                    {
                        value = value[1..^1];
                    }

                    return true;
                }
            }
        }

        value = default;
        return false;
    }

    private static bool FixedTimeEquals(ReadOnlySpan<char> candidate, string expected)
        => candidate.Length == expected.Length
            && CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(candidate), MemoryMarshal.AsBytes(expected.AsSpan()));

    public void Bind(HttpContext context, ServerRuntime server, AffinityLookup previous)
    {
        if (previous.Outcome == AffinityOutcome.Bound && ReferenceEquals(previous.Server, server))
        {
            return; // the client already holds this cookie
        }

        var options = new CookieOptions
        {
            Path = "/",
            HttpOnly = true,
            SameSite = SameSiteMode.Lax,
            Secure = context.Request.IsHttps,
        };
        if (_lifetime is { } lifetime)
        {
            options.MaxAge = lifetime;
        }

        context.Response.Cookies.Append(_cookieName, _codec.Encode(server.Name), options);
    }

    /// <summary>Null when <paramref name="name"/> is a valid cookie name (an RFC 6265 token), else why not.</summary>
    public static string? ValidateCookieName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "the cookie name is empty";
        }

        foreach (var c in name)
        {
            if (c <= ' ' || c >= 0x7F || "()<>@,;:\\\"/[]?={}".Contains(c, StringComparison.Ordinal))
            {
                return $"the cookie name \"{name}\" contains '{(c < ' ' || c >= 0x7F ? "\\u" + ((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture) : c.ToString())}', which cookies do not allow";
            }
        }

        return null;
    }
}
