namespace WebFarm.EndToEnd.Tests.Infrastructure;

/// <summary>The builds that the project references produced, with the tests' configuration.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    private static string Configuration => new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name; // bin/<Configuration>/net10.0

    public static string WebFarmDll => Existing(Path.Combine(Root, "src", "WebFarm", "bin", Configuration, "net10.0", "webfarm.dll"));

    public static string HelloFarmDll => Existing(Path.Combine(Root, "samples", "HelloFarm", "bin", Configuration, "net10.0", "HelloFarm.dll"));

    private static string Existing(string path)
        => File.Exists(path) ? path : throw new FileNotFoundException($"{path} was not built; build the test project first.");

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
