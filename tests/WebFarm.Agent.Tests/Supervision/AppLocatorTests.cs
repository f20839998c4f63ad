using WebFarm.Agent.Supervision;
using WebFarm.Agent.Tests.Infrastructure;

namespace WebFarm.Agent.Tests.Supervision;

public sealed class AppLocatorTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("webfarm-locator-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public async Task Dll_RunsWithTheDotnetHost()
    {
        var launch = await AppLocator.ResolveAsync(RepositoryPaths.HelloFarmDll, null, CancellationToken.None);

        Assert.Equal(DotNetHost.Path, launch.FileName);
        Assert.Equal([RepositoryPaths.HelloFarmDll], launch.Arguments);
        Assert.Equal("HelloFarm", launch.AppName);
    }

    [Fact]
    public async Task PublishedFolder_FindsTheDllWithARuntimeConfig()
    {
        var folder = Path.GetDirectoryName(RepositoryPaths.HelloFarmDll)!;

        var launch = await AppLocator.ResolveAsync(folder, null, CancellationToken.None);

        // The folder also holds WebFarm.AspNetCore.dll, a library without a runtimeconfig.json.
        Assert.Equal([RepositoryPaths.HelloFarmDll], launch.Arguments);
    }

    [Fact]
    public async Task ProjectFolder_IsBuiltInRelease()
    {
        var steps = new List<string>();

        var launch = await AppLocator.ResolveAsync(Path.Combine(RepositoryPaths.Root, "samples", "HelloFarm"), steps.Add, CancellationToken.None);

        var dll = Assert.Single(launch.Arguments);
        Assert.EndsWith(Path.Combine("bin", "Release", "net10.0", "HelloFarm.dll"), dll, StringComparison.Ordinal);
        Assert.True(File.Exists(dll));
        Assert.Contains(steps, s => s.StartsWith("building ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task BrokenProject_ReportsTheBuildErrors()
    {
        var project = Path.Combine(_temp, "Broken.csproj");
        await File.WriteAllTextAsync(project, """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework></PropertyGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(_temp, "Program.cs"), "this is not C#");

        var error = await Assert.ThrowsAsync<AppResolutionException>(() => AppLocator.ResolveAsync(project, null, CancellationToken.None));

        Assert.Contains("the build failed", error.Message, StringComparison.Ordinal);
        Assert.Contains("Program.cs", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingPath_SaysSo()
    {
        var error = await Assert.ThrowsAsync<AppResolutionException>(() => AppLocator.ResolveAsync(Path.Combine(_temp, "nope"), null, CancellationToken.None));

        Assert.Contains("no such file or folder", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LibraryDll_IsRejected()
    {
        var library = Path.Combine(Path.GetDirectoryName(RepositoryPaths.HelloFarmDll)!, "WebFarm.AspNetCore.dll");

        var error = await Assert.ThrowsAsync<AppResolutionException>(() => AppLocator.ResolveAsync(library, null, CancellationToken.None));

        Assert.Contains("class library", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EmptyFolder_SaysWhatItLookedFor()
    {
        var error = await Assert.ThrowsAsync<AppResolutionException>(() => AppLocator.ResolveAsync(_temp, null, CancellationToken.None));

        Assert.Contains("no .csproj and no app dll", error.Message, StringComparison.Ordinal);
    }
}
