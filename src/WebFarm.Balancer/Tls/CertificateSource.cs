namespace WebFarm.Balancer.Tls;

/// <summary>
/// The files one certificate is read from: a PEM certificate (with its key inside, or beside it as name.key), or a
/// PFX. <see cref="Stamp"/> is their write times and sizes, so a rescan reloads only what changed.
/// </summary>
internal sealed record CertificateSource(string Name, string CertificateFile, string? KeyFile, bool IsPfx, string Stamp)
{
    /// <summary>The file a problem is reported against ("www.pem", or "www.key" for a key problem is said in the reason).</summary>
    public string DisplayFile => Path.GetFileName(CertificateFile) + (KeyFile is null ? string.Empty : " + " + Path.GetFileName(KeyFile));
}
