namespace WebFarm.Testing;

/// <summary>A release folder of HelloFarm for the deployment tests: its build output with an appsettings.json of the test's own.</summary>
public static class HelloFarmRelease
{
    /// <summary>
    /// Copies HelloFarm's build output into <paramref name="target"/> with an appsettings.json that names the release
    /// <paramref name="label"/> (its pages show it), or <paramref name="appsettings"/> as given (e.g. one that is not
    /// JSON, so the release crashes at start-up); returns <paramref name="target"/>.
    /// </summary>
    public static string Write(string target, string label, string? appsettings = null)
    {
        var source = Path.GetDirectoryName(RepositoryPaths.HelloFarmDll)!;
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }

        File.WriteAllText(Path.Combine(target, "appsettings.json"), appsettings ?? "{\"Logging\": {\"LogLevel\": {\"Default\": \"Warning\"}}, \"HelloFarm\": {\"Release\": \"" + label + "\"}}");
        return target;
    }
}
