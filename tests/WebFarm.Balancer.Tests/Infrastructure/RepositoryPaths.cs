namespace WebFarm.Balancer.Tests.Infrastructure;

/// <summary>Where the repository is, for tests that read its files (docs, built executables).</summary>
public static class RepositoryPaths
{
    /// <summary>The directory holding WebFarm.slnx, found upwards from the test assembly.</summary>
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "WebFarm.slnx")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new DirectoryNotFoundException($"no WebFarm.slnx above {AppContext.BaseDirectory}");
        }
    }

    public static string Docs(string file) => Path.Combine(Root, "docs", file);
}
