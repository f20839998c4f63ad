using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
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
    private readonly ConcurrentDictionary<string, string> _plainHeaders = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _secureHeaders = new(StringComparer.Ordinal);

    // The cookie values of the server list last looked up (a farm view's, replaced on a reload); a race between two
    // lookups only builds it twice.
    private volatile AffinityCookieTable? _table;

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

    [SkipLocalsInit] // the 1 KiB buffer below is written before it is read; zeroing it on every request is waste
    public AffinityLookup Lookup<TClient>(TClient client, IReadOnlyList<ServerRuntime> servers)
        where TClient : IAffinityClient
    {
        // Hot path: no cookie collection, no decoding, no hashing. The value for a server is deterministic, so a
        // genuine cookie is exactly one of the values of the farm's servers (a table built once per server list);
        // anything else (forged, tampered, for a server that left the farm) matches none and is ignored.
        Span<char> buffer = stackalloc char[AffinityCookieCodec.MaxValueLength];
        var length = client.CopyCookie(_cookieName, buffer);
        if (length < 0)
        {
            return AffinityLookup.Unbound;
        }

        var table = _table;
        if (table is null || !table.IsFor(servers))
        {
            table = new AffinityCookieTable(servers, _codec);
            _table = table;
        }

        var value = buffer[..length];
        for (var i = 0; i < table.Count; i++)
        {
            // The name part (base64url of the server's name) is no secret (a client reads which server it is bound to),
            // so it picks the one candidate with an ordinary comparison; only the MAC part is compared in constant
            // time, so response timing does not reveal how much of a guessed MAC was right. Before, every server ahead
            // of the bound one cost a dictionary lookup and a constant-time comparison of the whole value: 2.9% of the
            // balancer's core in bench/balancer's webfarm-resilient (perf, 2026-12-06), 3 servers.
            var expected = table.Value(i);
            var name = table.NameLength(i) + 1;
            if (value.Length == expected.Length && value[..name].SequenceEqual(expected.AsSpan(0, name)))
            {
                return FixedTimeEquals(value[name..], expected.AsSpan(name))
                    ? AffinityBinding.Evaluate(table.Server(i), _onUnavailable, _drainTimeout, _time)
                    : AffinityLookup.Unbound; // names are unique in a farm: no other server can match
            }
        }

        return AffinityLookup.Unbound;
    }

    private static bool FixedTimeEquals(ReadOnlySpan<char> candidate, ReadOnlySpan<char> expected)
        => candidate.Length == expected.Length
            && CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(candidate), MemoryMarshal.AsBytes(expected));

    public void Bind<TClient>(TClient client, ServerRuntime server, AffinityLookup previous)
        where TClient : IAffinityClient
    {
        if (previous.Outcome == AffinityOutcome.Bound && ReferenceEquals(previous.Server, server))
        {
            return; // the client already holds this cookie
        }

        client.SetAffinityCookie(SetCookieValue(server.Name, client.IsHttps));
    }

    /// <summary>The Set-Cookie value binding to <paramref name="server"/>, formatted by ASP.NET Core's cookie rules; made once per server and scheme.</summary>
    private string SetCookieValue(string server, bool secure)
        => (secure ? _secureHeaders : _plainHeaders).GetOrAdd(server, static (name, state) =>
        {
            var (provider, secure) = state;
            var options = new CookieOptions
            {
                Path = "/",
                HttpOnly = true,
                SameSite = SameSiteMode.Lax,
                Secure = secure,
            };
            if (provider._lifetime is { } lifetime)
            {
                options.MaxAge = lifetime;
            }

            return options.CreateCookieHeader(provider._cookieName, provider._codec.Encode(name)).ToString();
        }, (this, secure));

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
