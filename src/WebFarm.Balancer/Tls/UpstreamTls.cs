using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using WebFarm.Balancer.Configuration;

namespace WebFarm.Balancer.Tls;

/// <summary>
/// How a farm checks its https servers' certificates, one rule for traffic and health checks: against the system's
/// trusted roots (the default), against the certificate authorities of the farm's <c>TlsCaFile</c> only, or not at all
/// (<c>TlsInsecureSkipVerify</c>, named per farm). Host names are checked in the first two. Revocation is not checked
/// (no network access from the data plane to CRL or OCSP servers; nginx's proxy_ssl_verify does not either).
/// </summary>
internal sealed class UpstreamTls
{
    public static readonly UpstreamTls SystemRoots = new(null, null, skipVerify: false);

    private readonly X509Certificate2Collection? _roots;

    private UpstreamTls(string? caFile, X509Certificate2Collection? roots, bool skipVerify)
    {
        CaFile = caFile;
        _roots = roots;
        SkipVerify = skipVerify;
        Fingerprint = skipVerify ? "insecure" : roots is null ? "system" : Hash(roots);
    }

    /// <summary>The CA file (full path), or null.</summary>
    public string? CaFile { get; }

    public bool SkipVerify { get; }

    /// <summary>What decides equality: two farms' trust are the same when their fingerprints are (the CA file's certificates, not its name).</summary>
    public string Fingerprint { get; }

    /// <summary>The trust of <paramref name="farm"/>; its CA file is read now, relative to <paramref name="baseDirectory"/>.</summary>
    /// <exception cref="InvalidOperationException">The CA file cannot be read or holds no certificate (the reason names it).</exception>
    public static UpstreamTls For(FarmOptions farm, string baseDirectory)
    {
        if (farm.TlsInsecureSkipVerify)
        {
            return new UpstreamTls(null, null, skipVerify: true);
        }

        if (farm.TlsCaFile is null)
        {
            return SystemRoots;
        }

        var path = Path.GetFullPath(Path.Combine(baseDirectory, farm.TlsCaFile));
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new InvalidOperationException($"cannot read the CA file {path}: {ex.Message}", ex);
        }

        if (roots.Count == 0)
        {
            throw new InvalidOperationException($"the CA file {path} holds no PEM \"CERTIFICATE\" block");
        }

        return new UpstreamTls(path, roots, skipVerify: false);
    }

    /// <summary>The options for SocketsHttpHandler.SslOptions; SslStream's own errors then say why a server was refused.</summary>
    public SslClientAuthenticationOptions ClientOptions()
    {
        var options = new SslClientAuthenticationOptions { CertificateRevocationCheckMode = X509RevocationMode.NoCheck };
        if (SkipVerify)
        {
            options.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        }
        else if (_roots is not null)
        {
            options.CertificateChainPolicy = ChainPolicy();
        }

        return options;
    }

    /// <summary>
    /// The same rule judged after the fact, for a handler that cannot take this farm's options (the health probe's,
    /// shared by a farm's reloads): <paramref name="errors"/> is what the system's roots said.
    /// </summary>
    public bool Accepts(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (SkipVerify)
        {
            return true;
        }

        if (_roots is null || (errors & (SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch)) != 0)
        {
            return errors == SslPolicyErrors.None;
        }

        if (certificate is not X509Certificate2 leaf)
        {
            return false;
        }

        using var custom = new X509Chain { ChainPolicy = ChainPolicy() };
        if (chain is not null)
        {
            // The intermediates the server sent (SslStream puts them in the extra store) and what the first build found.
            custom.ChainPolicy.ExtraStore.AddRange(chain.ChainPolicy.ExtraStore);
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return custom.Build(leaf);
    }

    private X509ChainPolicy ChainPolicy()
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.AddRange(_roots!);
        return policy;
    }

    private static string Hash(X509Certificate2Collection roots)
    {
        var all = new List<string>();
        foreach (var root in roots)
        {
            all.Add(root.Thumbprint);
        }

        all.Sort(StringComparer.Ordinal);
        return string.Join(",", all);
    }
}
