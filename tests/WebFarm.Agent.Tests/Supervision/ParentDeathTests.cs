using System.Diagnostics;
using WebFarm.Agent.Supervision;
using WebFarm.Agent.Tests.Infrastructure;

namespace WebFarm.Agent.Tests.Supervision;

/// <summary>
/// Children must not outlive the process that supervises them, even when it is killed with SIGKILL.
/// (The spawner's kernel-level guarantee is covered end to end by killing 'webfarm up'.)
/// </summary>
public sealed class ParentDeathTests
{
    [Fact]
    public async Task HelloFarm_StopsWhenTheProcessNamedByWebfarmParentPidDies()
    {
        // A stand-in parent we can kill: HelloFarm is told that this 'sleep' is its supervisor.
        using var parent = Process.Start("sleep", ["600"]);
        var port = LoopbackPort.FindFree();
        var startInfo = new ProcessStartInfo(DotNetHost.Path, [RepositoryPaths.HelloFarmDll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        startInfo.Environment["WEBFARM_PARENT_PID"] = parent.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var app = Process.Start(startInfo)!;
        app.OutputDataReceived += (_, _) => { };
        app.ErrorDataReceived += (_, _) => { };
        app.BeginOutputReadLine();
        app.BeginErrorReadLine();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(5) };
            await Eventually.ReturnsAsync(async () => (await client.GetAsync(RecordingInstance.ProbePath)).Headers.Contains("X-Instance-Id") ? "up" : null, TimeSpan.FromSeconds(60), "HelloFarm to start");
            Assert.False(app.HasExited);

            parent.Kill();

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await app.WaitForExitAsync(timeout.Token);
            Assert.Equal(0, app.ExitCode); // An orderly shutdown, not a crash.
        }
        finally
        {
            if (!app.HasExited)
            {
                app.Kill();
            }

            if (!parent.HasExited)
            {
                parent.Kill();
            }
        }
    }
}
