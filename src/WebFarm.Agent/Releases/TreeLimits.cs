namespace WebFarm.Agent.Releases;

/// <summary>
/// What a release or content set may hold. The controller and each agent have their own (an agent with a small disk
/// can refuse what the controller accepted); a tree over a limit is refused before anything of it is written.
/// </summary>
public sealed record TreeLimits
{
    /// <summary>1 GiB: a published ASP.NET Core app is 50-200 MB; self-contained with symbols stays under 1 GiB.</summary>
    public const long DefaultMaxPackageBytes = 1L << 30;

    /// <summary>256 MiB for one file.</summary>
    public const long DefaultMaxFileBytes = 256L << 20;

    /// <summary>100,000 files.</summary>
    public const int DefaultMaxFiles = 100_000;

    public static TreeLimits Default { get; } = new();

    public long MaxPackageBytes { get; init; } = DefaultMaxPackageBytes;

    public long MaxFileBytes { get; init; } = DefaultMaxFileBytes;

    public int MaxFiles { get; init; } = DefaultMaxFiles;
}
