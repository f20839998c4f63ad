using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace WebFarm.Balancer.Affinity;

/// <summary>
/// Encodes affinity cookie values: base64url(server name) "." base64url(MAC), where the MAC is HMAC-SHA256 over
/// the farm and the server name under the balancer's key, truncated to 128 bits. The value is deterministic, so
/// verifying a cookie is comparing it with the value of each current server (see CookieAffinityProvider.Lookup).
/// A client can read which server it is bound to but cannot forge a binding to another server or farm, so the
/// balancer only ever forwards to members it knows (as Application Center's request forwarder did).
/// </summary>
internal sealed class AffinityCookieCodec
{
    /// <summary>Longer values are rejected before any comparison.</summary>
    public const int MaxValueLength = 512;

    private const int MacBytes = 16;

    private readonly byte[] _key;
    private readonly byte[] _farm;
    private readonly ConcurrentDictionary<string, string> _encoded = new(StringComparer.Ordinal);

    public AffinityCookieCodec(string farm, ReadOnlySpan<byte> key)
    {
        if (key.Length < AffinityKeyStore.MinimumKeyBytes)
        {
            throw new ArgumentException($"The affinity key must have at least {AffinityKeyStore.MinimumKeyBytes} bytes.", nameof(key));
        }

        _key = key.ToArray();
        _farm = Encoding.UTF8.GetBytes(farm);
    }

    /// <summary>The cookie value binding to <paramref name="server"/>; computed once per server name.</summary>
    public string Encode(string server)
        => _encoded.GetOrAdd(server, static (name, codec) => codec.EncodeCore(name), this);

    private string EncodeCore(string server)
    {
        var name = Encoding.UTF8.GetBytes(server);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        ComputeMac(name, mac);
        return Base64Url.EncodeToString(name) + "." + Base64Url.EncodeToString(mac[..MacBytes]);
    }

    private void ComputeMac(ReadOnlySpan<byte> server, Span<byte> destination)
    {
        // Domain-separated input: a fixed label, the farm, then the server, with NUL separators, so a value made
        // for one farm is not valid in another and (farm, server) pairs cannot be shifted into each other.
        ReadOnlySpan<byte> label = "webfarm-affinity-v1\0"u8;
        var length = label.Length + _farm.Length + 1 + server.Length;
        Span<byte> input = length <= 1024 ? stackalloc byte[length] : new byte[length];
        label.CopyTo(input);
        _farm.CopyTo(input[label.Length..]);
        input[label.Length + _farm.Length] = 0;
        server.CopyTo(input[(label.Length + _farm.Length + 1)..]);
        HMACSHA256.HashData(_key, input, destination);
    }
}
