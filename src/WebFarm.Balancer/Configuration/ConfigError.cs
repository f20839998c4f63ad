namespace WebFarm.Balancer.Configuration;

/// <summary>One configuration problem: where (file and JSON path) and why.</summary>
public sealed record ConfigError(string? File, string Path, string Reason)
{
    public override string ToString() => File is null ? $"{Path}: {Reason}" : $"{File}: {Path}: {Reason}";
}
