namespace WebFarm.Testing;

/// <summary>
/// Where the repository is and where the builds that the test projects reference landed: every test project builds
/// its programs with its own configuration (bin/&lt;Configuration&gt;/net10.0), and these paths follow it.
/// </summary>
public static class RepositoryPaths
{
    /// <summary>The directory holding WebFarm.slnx, found upwards from the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The tests' build configuration (Debug, Release): the name of bin/&lt;Configuration&gt;/net10.0's parent.</summary>
    public static string Configuration => Output.Parent?.Name ?? "Debug";

    /// <summary>The target framework folder the tests run from (net10.0).</summary>
    public static string Framework => Output.Name;

    /// <summary>src/WebFarm's webfarm.dll (the CLI).</summary>
    public static string WebFarmDll => Built(Path.Combine("src", "WebFarm"), "webfarm.dll");

    /// <summary>The dotnet host that runs the tests (the SDK's DOTNET_HOST_PATH), else `dotnet` from PATH: what runs webfarm.dll.</summary>
    public static string DotNetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path && File.Exists(path) ? path : "dotnet";

    /// <summary>samples/HelloFarm's HelloFarm.dll.</summary>
    public static string HelloFarmDll => Built(Path.Combine("samples", "HelloFarm"), "HelloFarm.dll");

    /// <summary>tests/WebFarm.TestBackend's WebFarm.TestBackend.dll (the backend run as a child process).</summary>
    public static string TestBackendDll => Built(Path.Combine("tests", "WebFarm.TestBackend"), "WebFarm.TestBackend.dll");

    /// <summary>A file under docs/.</summary>
    public static string Docs(string file) => Path.Combine(Root, "docs", file);

    /// <summary>
    /// <paramref name="assembly"/> in <paramref name="project"/>/bin/&lt;Configuration&gt;/&lt;Framework&gt;; throws with the
    /// path when it was not built (the test project's reference builds it).
    /// </summary>
    public static string Built(string project, string assembly)
    {
        var path = Path.Combine(Root, project, "bin", Configuration, Framework, assembly);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} was not built; build the test project first (it references {project}).", path);
    }

    private static DirectoryInfo Output => new(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory));

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
