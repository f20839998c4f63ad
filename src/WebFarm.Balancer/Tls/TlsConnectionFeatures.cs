using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace WebFarm.Balancer.Tls;

/// <summary>
/// What a connection <see cref="TlsTermination"/> made tells Kestrel and the front end, read from its SslStream after
/// the handshake: the features Kestrel's own TLS middleware sets. Kestrel's HTTP layer reads them for the request's
/// scheme (https) and for HTTP/2's TLS rules (TLS 1.2 or later); the front end reads the ALPN choice
/// (<see cref="FrontEnd.FrontEndListener.NegotiatedHttp1"/>). Client certificates are never requested.
/// </summary>
internal sealed class TlsConnectionFeatures(SslStream stream) : ITlsConnectionFeature, ITlsHandshakeFeature, ITlsApplicationProtocolFeature, ISslStreamFeature
{
    public SslStream SslStream => stream;

    public X509Certificate2? ClientCertificate
    {
        get => null;
        set => throw new NotSupportedException("WebFarm's https listeners do not request client certificates.");
    }

    public ReadOnlyMemory<byte> ApplicationProtocol => stream.NegotiatedApplicationProtocol.Protocol;

    public SslProtocols Protocol => stream.SslProtocol;

    public TlsCipherSuite? NegotiatedCipherSuite => stream.NegotiatedCipherSuite;

    public string HostName => stream.TargetHostName;

#pragma warning disable SYSLIB0058 // Kestrel's feature still has the obsolete algorithm members: they say what SslStream says.
    public CipherAlgorithmType CipherAlgorithm => stream.CipherAlgorithm;

    public int CipherStrength => stream.CipherStrength;

    public HashAlgorithmType HashAlgorithm => stream.HashAlgorithm;

    public int HashStrength => stream.HashStrength;

    public ExchangeAlgorithmType KeyExchangeAlgorithm => stream.KeyExchangeAlgorithm;

    public int KeyExchangeStrength => stream.KeyExchangeStrength;
#pragma warning restore SYSLIB0058

    public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult<X509Certificate2?>(null);
}
