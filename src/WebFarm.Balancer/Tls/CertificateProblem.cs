namespace WebFarm.Balancer.Tls;

/// <summary>Why the certificate <paramref name="Name"/> of a folder (read from <paramref name="File"/>) cannot be used.</summary>
internal sealed record CertificateProblem(string Name, string File, string Reason)
{
    public override string ToString() => $"{File}: {Reason}";
}
