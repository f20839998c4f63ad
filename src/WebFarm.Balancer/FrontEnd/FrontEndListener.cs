using System.Net.Security;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using WebFarm.Balancer.Tls;

namespace WebFarm.Balancer.FrontEnd;

/// <summary>
/// What the front end must know about the listener a connection came in on, made once per listener: whether it is
/// https (after Kestrel's TLS middleware), so X-Forwarded-Proto, the affinity cookie's Secure attribute and HSTS follow
/// the same rules as on Kestrel's path, where they read the request's scheme and the listener's
/// <see cref="ListenerPolicy"/> (docs/https.md, "Which code serves https").
/// </summary>
internal sealed class FrontEndListener
{
    private FrontEndListener(bool isHttps, string? hsts)
    {
        IsHttps = isHttps;
        ForwardedProto = isHttps ? "https"u8.ToArray() : "http"u8.ToArray();
        HstsLine = hsts is null ? [] : Encoding.ASCII.GetBytes($"Strict-Transport-Security: {hsts}\r\n");
    }

    /// <summary>A cleartext HTTP/1.1 listener.</summary>
    public static FrontEndListener Cleartext { get; } = new(isHttps: false, hsts: null);

    public bool IsHttps { get; }

    /// <summary>The scheme this hop adds to X-Forwarded-Proto ("http" or "https").</summary>
    public byte[] ForwardedProto { get; }

    /// <summary>
    /// "Strict-Transport-Security: value\r\n" for every response, the balancer's own answers included, replacing a
    /// server's own header (<see cref="ListenerPolicy"/>'s rule); empty when the listener sets no HSTS.
    /// </summary>
    public byte[] HstsLine { get; }

    /// <summary>An https listener; <paramref name="policy"/> is its HSTS (null: none).</summary>
    public static FrontEndListener Https(ListenerPolicy? policy) => new(isHttps: true, policy?.Hsts);

    /// <summary>
    /// Whether the front end reads this TLS connection: ALPN chose http/1.1 or nothing (Kestrel then speaks HTTP/1.1
    /// too). h2 connections stay Kestrel's HTTP/2 stack.
    /// </summary>
    public static bool NegotiatedHttp1(ConnectionContext connection)
    {
        var protocol = connection.Features.Get<ITlsApplicationProtocolFeature>()?.ApplicationProtocol ?? default;
        return protocol.IsEmpty || protocol.Span.SequenceEqual(SslApplicationProtocol.Http11.Protocol.Span);
    }
}
