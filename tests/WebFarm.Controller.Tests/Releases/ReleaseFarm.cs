using System.Text.Json;
using WebFarm.Agent.Control;
using WebFarm.Agent.Releases;
using WebFarm.Controller.Hosting;
using WebFarm.Controller.Releases;
using WebFarm.Controller.Releases.Packaging;
using WebFarm.Controller.Tests.Infrastructure;

namespace WebFarm.Controller.Tests.Releases;

/// <summary>A real controller and N real agents (their release loops over loopback HTTP), and the operator's upload path.</summary>
internal sealed class ReleaseFarm : IAsyncDisposable
{
    private ReleaseFarm(TestController controller, ControlAgent[] agents)
    {
        Controller = controller;
        Agents = agents;
    }

    public TestController Controller { get; }

    public ControlAgent[] Agents { get; }

    public TransferCounters Transfer => Controller.Host.Releases.Transfer;

    public static async Task<ReleaseFarm> StartAsync(TempDirectory dir, int agents, TreeLimits? agentLimits = null, Func<ControllerOptions, ControllerOptions>? configure = null)
    {
        var controller = await TestController.StartAsync(dir.Sub("controller"), configure: configure);
        var started = new ControlAgent[agents];
        for (var i = 0; i < agents; i++)
        {
            started[i] = await controller.StartAgentAsync($"web{i + 1}", $"http://127.0.0.1:{10 + i}", dir.Sub($"agent{i + 1}"), await controller.NewJoinTokenAsync(), agentLimits);
        }

        return new ReleaseFarm(controller, started);
    }

    /// <summary>Packages <paramref name="path"/> the way `webfarm deploy` does and uploads it.</summary>
    public async Task<UploadResult> UploadAsync(string kind, string name, string path, string? message = null)
    {
        using var package = await PackageReader.ReadAsync(path, TreeLimits.Default, null, default);
        return await ReleaseUploader.UploadAsync(Controller.Http, kind, name, message, package, default);
    }

    /// <summary>GET /api/apps/APP/releases (or /api/content): the controller's list, newest first.</summary>
    public async Task<List<JsonElement>> ListAsync(string kind, string name)
    {
        var path = kind == TreeInstaller.ContentKind ? "api/content" : $"api/apps/{name}/releases";
        using var json = JsonDocument.Parse(await Controller.Http.GetStringAsync(path));
        return [.. json.RootElement.EnumerateArray().Where(e => e.GetProperty("name").GetString() == name).Select(e => e.Clone())];
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in Agents)
        {
            await agent.DisposeAsync();
        }

        await Controller.DisposeAsync();
    }

    /// <summary>Writes <paramref name="count"/> files of distinct content under <paramref name="root"/> (some in subfolders).</summary>
    public static void WriteFiles(string root, int count, int bytes, string salt = "")
    {
        for (var i = 0; i < count; i++)
        {
            var path = Path.Combine(root, $"d{i % 10}", $"f{i:D4}.txt");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var line = $"file {i} {salt}\n";
            File.WriteAllText(path, string.Concat(Enumerable.Repeat(line, Math.Max(1, bytes / line.Length))));
        }
    }

    /// <summary>Every file under <paramref name="root"/>, relative path → content.</summary>
    public static Dictionary<string, string> Snapshot(string root)
        => Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f), File.ReadAllText);
}
