namespace WebFarm.Agent.Tests.Infrastructure;

/// <summary>Finds the repository and the HelloFarm build that the project reference produced.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The HelloFarm dll built with the same configuration as the tests.</summary>
    public static string HelloFarmDll
    {
        get
        {
            var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name; // bin/<Configuration>/net10.0
            var dll = Path.Combine(Root, "samples", "HelloFarm", "bin", configuration, "net10.0", "HelloFarm.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException($"HelloFarm was not built at {dll}; build the test project first.");
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "WebFarm.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no WebFarm.slnx above {AppContext.BaseDirectory}");
    }
}
