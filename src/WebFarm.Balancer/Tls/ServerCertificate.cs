using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace WebFarm.Balancer.Tls;

/// <summary>
/// One usable certificate of an https listener's folder: the leaf with its private key, the chain sent with it, the
/// DNS names SNI selects it by, and the TLS options a handshake that selects it uses, built once (the chain context
/// is computed here, not per handshake).
/// </summary>
internal sealed class ServerCertificate
{
    public ServerCertificate(string name, CertificateSource source, X509Certificate2 certificate, X509Certificate2Collection chain, string[] dnsNames, SslServerAuthenticationOptions options)
    {
        Name = name;
        Source = source;
        Certificate = certificate;
        Chain = chain;
        DnsNames = dnsNames;
        Options = options;
    }

    /// <summary>The file name without extension ("www" for www.pem + www.key); what DefaultCertificate names.</summary>
    public string Name { get; }

    /// <summary>The files it was read from and their stamp (a rescan reloads it only when the stamp changed).</summary>
    public CertificateSource Source { get; }

    public X509Certificate2 Certificate { get; }

    /// <summary>Intermediates sent after the leaf (the rest of the PEM file, or the PFX's other certificates).</summary>
    public X509Certificate2Collection Chain { get; }

    /// <summary>The names from the subject alternative name extension (the subject's CN when it has none), lower case.</summary>
    public string[] DnsNames { get; }

    /// <summary>What a handshake that selects this certificate uses: TLS 1.2/1.3, ALPN, the certificate context.</summary>
    public SslServerAuthenticationOptions Options { get; }

    public override string ToString() => $"{Name} ({string.Join(", ", DnsNames)}; expires {Certificate.NotAfter.ToUniversalTime():yyyy-MM-dd})";
}
