using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace WebFarm.Balancer.Tests.Infrastructure;

/// <summary>
/// Certificates made in the test (CertificateRequest; no key is ever committed): a certificate authority, server
/// certificates it issues for given DNS names and dates, and the files an https listener's folder holds.
/// </summary>
public static class TestCertificates
{
    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    /// <summary>A self-signed certificate authority (CN=<paramref name="name"/>), valid from yesterday for a year.</summary>
    public static X509Certificate2 Authority(string name = "WebFarm Test CA")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    /// <summary>
    /// A server certificate with subject CN=<paramref name="commonName"/> and the DNS names in its SAN, signed by
    /// <paramref name="authority"/> (self-signed when null); by default valid from yesterday for 90 days.
    /// </summary>
    public static X509Certificate2 Server(string commonName, string[] dnsNames, X509Certificate2? authority = null, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, bool clientOnly = false)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + commonName, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames)
        {
            if (System.Net.IPAddress.TryParse(name, out var ip))
            {
                san.AddIpAddress(ip);
            }
            else
            {
                san.AddDnsName(name);
            }
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(clientOnly ? ClientAuthentication : ServerAuthentication)], false));
        var from = notBefore ?? DateTimeOffset.UtcNow.AddDays(-1);
        var to = notAfter ?? DateTimeOffset.UtcNow.AddDays(90);
        if (authority is null)
        {
            return request.CreateSelfSigned(from, to);
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var issued = request.Create(authority, from, to, serial);
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>Writes <c>name.pem</c> (the certificate) and <c>name.key</c> (its PKCS#8 key) to <paramref name="folder"/>.</summary>
    public static void WritePemPair(string folder, string name, X509Certificate2 certificate)
    {
        File.WriteAllText(Path.Combine(folder, name + ".key"), KeyPem(certificate));
        File.WriteAllText(Path.Combine(folder, name + ".pem"), certificate.ExportCertificatePem());
    }

    /// <summary>Writes one <c>name.pem</c> with the certificate and its key.</summary>
    public static void WriteCombinedPem(string folder, string name, X509Certificate2 certificate)
        => File.WriteAllText(Path.Combine(folder, name + ".pem"), certificate.ExportCertificatePem() + "\n" + KeyPem(certificate));

    /// <summary>Writes <c>name.pfx</c> with the certificate and key under <paramref name="password"/>.</summary>
    public static void WritePfx(string folder, string name, X509Certificate2 certificate, string? password)
        => File.WriteAllBytes(Path.Combine(folder, name + ".pfx"), certificate.Export(X509ContentType.Pfx, password));

    /// <summary>Writes the certificate alone (no key) as PEM, e.g. a CA file.</summary>
    public static string WriteCertificate(string path, X509Certificate2 certificate)
    {
        File.WriteAllText(path, certificate.ExportCertificatePem());
        return path;
    }

    public static string KeyPem(X509Certificate2 certificate)
        => certificate.GetECDsaPrivateKey()?.ExportPkcs8PrivateKeyPem()
            ?? certificate.GetRSAPrivateKey()?.ExportPkcs8PrivateKeyPem()
            ?? throw new InvalidOperationException("the certificate has no private key");
}
