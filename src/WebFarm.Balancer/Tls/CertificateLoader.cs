using System.Globalization;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace WebFarm.Balancer.Tls;

/// <summary>
/// Reads one certificate (<see cref="CertificateSource"/>) into a <see cref="ServerCertificate"/>, or says why it cannot
/// serve: no certificate in the file, no private key or one that does not match, a wrong PFX password, outside its
/// validity period, or an extended key usage without server authentication.
/// </summary>
internal static class CertificateLoader
{
    /// <summary>TLS 1.2 and 1.3 only: 1.0 and 1.1 are deprecated (RFC 8996) and refused in the handshake.</summary>
    public const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    private const string ServerAuthenticationOid = "1.3.6.1.5.5.7.3.1";

    /// <exception cref="CertificateLoadException">The reason, naming the file.</exception>
    public static ServerCertificate Load(CertificateSource source, string? password, List<SslApplicationProtocol> alpn, DateTime utcNow)
    {
        var (leaf, chain) = source.IsPfx ? ReadPfx(source, password) : ReadPem(source, password);
        try
        {
            Check(source, leaf, utcNow);
            var names = DnsNames(leaf);
            var options = new SslServerAuthenticationOptions
            {
                // offline: the chain comes from the folder; nothing is fetched from the network at a handshake or a rescan.
                ServerCertificateContext = SslStreamCertificateContext.Create(leaf, chain, offline: true),
                EnabledSslProtocols = Protocols,
                ApplicationProtocols = alpn,
                ClientCertificateRequired = false,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                AllowRenegotiation = false,
            };
            return new ServerCertificate(source.Name, source, leaf, chain, names, options);
        }
        catch
        {
            leaf.Dispose();
            throw;
        }
    }

    private static void Check(CertificateSource source, X509Certificate2 leaf, DateTime utcNow)
    {
        if (!leaf.HasPrivateKey)
        {
            throw new CertificateLoadException(source, "holds no private key");
        }

        if (leaf.NotAfter.ToUniversalTime() < utcNow)
        {
            throw new CertificateLoadException(source, $"expired on {Format(leaf.NotAfter)} (subject {leaf.Subject})");
        }

        if (leaf.NotBefore.ToUniversalTime() > utcNow)
        {
            throw new CertificateLoadException(source, $"is not valid before {Format(leaf.NotBefore)} (subject {leaf.Subject})");
        }

        foreach (var extension in leaf.Extensions)
        {
            if (extension is X509EnhancedKeyUsageExtension usage)
            {
                var serverAuth = false;
                foreach (var oid in usage.EnhancedKeyUsages)
                {
                    serverAuth |= oid.Value == ServerAuthenticationOid;
                }

                if (!serverAuth)
                {
                    throw new CertificateLoadException(source, "its extended key usage does not include server authentication (1.3.6.1.5.5.7.3.1)");
                }
            }
        }
    }

    private static (X509Certificate2 Leaf, X509Certificate2Collection Chain) ReadPem(CertificateSource source, string? password)
    {
        var text = ReadText(source, source.CertificateFile);
        var certificates = new List<string>();
        string? key = null;
        var encrypted = false;
        var rest = text.AsSpan();
        var offset = 0;
        while (PemEncoding.TryFind(rest, out var fields))
        {
            var label = rest[fields.Label].ToString();
            var block = rest[fields.Location].ToString();
            if (label == "CERTIFICATE")
            {
                certificates.Add(block);
            }
            else if (label.EndsWith("PRIVATE KEY", StringComparison.Ordinal) && key is null)
            {
                key = block;
                encrypted = label == "ENCRYPTED PRIVATE KEY";
            }

            offset = fields.Location.End.Value;
            rest = rest[offset..];
        }

        if (certificates.Count == 0)
        {
            throw new CertificateLoadException(source, $"{Path.GetFileName(source.CertificateFile)} holds no PEM \"CERTIFICATE\" block");
        }

        if (source.KeyFile is not null)
        {
            var keyText = ReadText(source, source.KeyFile);
            key = null;
            var keyRest = keyText.AsSpan();
            if (PemEncoding.TryFind(keyRest, out var keyFields) && keyRest[keyFields.Label].EndsWith("PRIVATE KEY", StringComparison.Ordinal))
            {
                key = keyRest[keyFields.Location].ToString();
                encrypted = keyRest[keyFields.Label].SequenceEqual("ENCRYPTED PRIVATE KEY");
            }

            if (key is null)
            {
                throw new CertificateLoadException(source, $"{Path.GetFileName(source.KeyFile)} holds no PEM private key block");
            }
        }
        else if (key is null)
        {
            throw new CertificateLoadException(source, $"holds no private key: put it in the same file or beside it as {source.Name}.key");
        }

        if (encrypted && password is null)
        {
            throw new CertificateLoadException(source, "its private key is encrypted: set CertificatePassword on the listener");
        }

        X509Certificate2 leaf;
        try
        {
            leaf = encrypted ? X509Certificate2.CreateFromEncryptedPem(certificates[0], key, password) : X509Certificate2.CreateFromPem(certificates[0], key);
        }
        catch (ArgumentException)
        {
            // CopyWithPrivateKey's "the provided key does not match the public key for this certificate".
            throw new CertificateLoadException(source, "the private key does not match the certificate's public key");
        }
        catch (CryptographicException ex)
        {
            throw new CertificateLoadException(source, $"the certificate or its private key cannot be read: {ex.Message}");
        }

        var chain = new X509Certificate2Collection();
        try
        {
            for (var i = 1; i < certificates.Count; i++)
            {
                chain.Add(X509Certificate2.CreateFromPem(certificates[i]));
            }
        }
        catch (CryptographicException ex)
        {
            leaf.Dispose();
            throw new CertificateLoadException(source, $"a chain certificate after the first cannot be read: {ex.Message}");
        }

        return (leaf, chain);
    }

    private static (X509Certificate2 Leaf, X509Certificate2Collection Chain) ReadPfx(CertificateSource source, string? password)
    {
        X509Certificate2Collection all;
        try
        {
            all = X509CertificateLoader.LoadPkcs12CollectionFromFile(source.CertificateFile, password, X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (CryptographicException ex)
        {
            throw new CertificateLoadException(source, password is null
                ? $"cannot be opened without a password (set CertificatePassword on the listener): {ex.Message}"
                : $"cannot be opened with CertificatePassword: {ex.Message}");
        }
        catch (IOException ex)
        {
            throw new CertificateLoadException(source, $"cannot be read: {ex.Message}");
        }

        X509Certificate2? leaf = null;
        var chain = new X509Certificate2Collection();
        foreach (var certificate in all)
        {
            if (leaf is null && certificate.HasPrivateKey)
            {
                leaf = certificate;
            }
            else
            {
                chain.Add(certificate);
            }
        }

        if (leaf is null)
        {
            throw new CertificateLoadException(source, all.Count == 0 ? "holds no certificate" : "holds no certificate with a private key");
        }

        return (leaf, chain);
    }

    /// <summary>The subject alternative name's DNS names, else the subject's common name; lower case.</summary>
    private static string[] DnsNames(X509Certificate2 certificate)
    {
        var names = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                foreach (var name in san.EnumerateDnsNames())
                {
                    names.Add(name.ToLowerInvariant());
                }
            }
        }

        if (names.Count == 0)
        {
            var common = certificate.GetNameInfo(X509NameType.DnsName, forIssuer: false);
            if (!string.IsNullOrEmpty(common))
            {
                names.Add(common.ToLowerInvariant());
            }
        }

        return [.. names];
    }

    private static string ReadText(CertificateSource source, string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CertificateLoadException(source, $"cannot read {Path.GetFileName(path)}: {ex.Message}");
        }
    }

    private static string Format(DateTime time) => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}
