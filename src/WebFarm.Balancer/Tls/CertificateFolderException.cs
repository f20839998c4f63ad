namespace WebFarm.Balancer.Tls;

/// <summary>An https listener's certificate folder cannot be used at start: every problem, each naming its file.</summary>
internal sealed class CertificateFolderException(List<CertificateProblem> problems) : Exception(string.Join("; ", problems))
{
    public IReadOnlyList<CertificateProblem> Problems { get; } = problems;
}
