using WebFarm.Packaging.Tests.Infrastructure;

namespace WebFarm.Packaging.Tests.Tool;

/// <summary>The `dotnet tool` package: installed from the package folder alone, it runs as `webfarm`.</summary>
[Collection(PackagingCollection.Name)]
public sealed class ToolPackageTests(PackageBuild package)
{
    [Fact]
    public async Task Dotnet_tool_install_from_the_package_folder_gives_a_webfarm_command_with_the_version()
    {
        Assert.True(File.Exists(Path.Combine(package.ToolDirectory, $"webfarm.{package.Version}.nupkg")), $"no tool package in {package.ToolDirectory}:\n{package.Log}");
        using var home = new TempDirectory("webfarm-tool-");

        // Only the package folder as a source: the test must not depend on (or find another "webfarm" on) nuget.org.
        var config = Path.Combine(home.Path, "nuget.config");
        await File.WriteAllTextAsync(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="webfarm" value="{package.ToolDirectory}" />
              </packageSources>
            </configuration>
            """);
        var tools = Path.Combine(home.Path, "tools");

        // --tool-path rather than --global so the test machine's ~/.dotnet/tools stays as it was; the package is the same.
        var install = await Dotnet.RunAsync("dotnet", "tool", "install", "webfarm", "--tool-path", tools, "--configfile", config, "--version", package.Version);
        Assert.True(install.ExitCode == 0, install.Output + install.Error);

        var version = await Dotnet.RunAsync(Path.Combine(tools, "webfarm"), "--version");
        Assert.True(version.ExitCode == 0, version.Error);
        Assert.StartsWith(package.Version + "+", version.Output.Trim());
    }
}
