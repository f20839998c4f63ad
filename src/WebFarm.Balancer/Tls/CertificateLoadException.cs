namespace WebFarm.Balancer.Tls;

/// <summary>A certificate of a folder cannot serve; the message names its file(s) and the reason.</summary>
internal sealed class CertificateLoadException(CertificateSource source, string reason) : Exception($"{source.DisplayFile}: {reason}")
{
    public CertificateProblem Problem { get; } = new(source.Name, source.DisplayFile, reason);
}
