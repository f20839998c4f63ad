using WebFarm.Agent.Supervision;
using WebFarm.Agent.Tests.Infrastructure;

namespace WebFarm.Agent.Tests.Supervision;

/// <summary>Whether an app's build output uses the member library (what `webfarm up` warns about).</summary>
public sealed class MemberLibraryTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("webfarm-member-").FullName;

    [Fact]
    public void HelloFarm_UsesIt()
    {
        Assert.True(MemberLibrary.IsReferencedBy(AppLaunch.ForDll(RepositoryPaths.HelloFarmDll)));
    }

    [Fact]
    public void AnAppWhoseDepsFileDoesNotListIt_DoesNotUseIt_EvenWithAStrayDllNextToIt()
    {
        File.WriteAllText(Path.Combine(_folder, "MyApp.deps.json"), """
            { "runtimeTarget": { "name": ".NETCoreApp,Version=v10.0" },
              "libraries": { "MyApp/1.0.0": { "type": "project" }, "WebFarm.AspNetCoreExtras/2.0.0": { "type": "package" } } }
            """);
        File.WriteAllText(Path.Combine(_folder, "WebFarm.AspNetCore.dll"), "left over from an earlier build");

        Assert.False(MemberLibrary.IsReferencedBy(App()));
    }

    [Fact]
    public void AnAppWhoseDepsFileListsIt_UsesIt()
    {
        File.WriteAllText(Path.Combine(_folder, "MyApp.deps.json"), """
            { "libraries": { "MyApp/1.0.0": { "type": "project" }, "WebFarm.AspNetCore/1.0.0": { "type": "project" } } }
            """);

        Assert.True(MemberLibrary.IsReferencedBy(App()));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not json {")]
    [InlineData("[1, 2]")]
    public void WithoutAReadableDepsFile_TheLibrarysDllDecides(string? deps)
    {
        if (deps is not null)
        {
            File.WriteAllText(Path.Combine(_folder, "MyApp.deps.json"), deps);
        }

        Assert.False(MemberLibrary.IsReferencedBy(App()));
        File.WriteAllText(Path.Combine(_folder, "WebFarm.AspNetCore.dll"), string.Empty);
        Assert.True(MemberLibrary.IsReferencedBy(App()));
    }

    [Fact]
    public void TheNotice_SaysWhatIsLostAndHowToGetIt()
    {
        var notice = MemberLibrary.Notice("MyApp");

        Assert.Contains("MyApp", notice, StringComparison.Ordinal);
        Assert.Contains("sessions", notice, StringComparison.Ordinal);
        Assert.Contains("Data Protection keys", notice, StringComparison.Ordinal);
        Assert.Contains("builder.AddWebFarm()", notice, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private AppLaunch App() => AppLaunch.ForDll(Path.Combine(_folder, "MyApp.dll"));
}
