using System.Net;
using WebFarm.EndToEnd.Tests.Infrastructure;

namespace WebFarm.EndToEnd.Tests.Up;

/// <summary>How `webfarm up` ends: drained and clean on SIGTERM, no orphans even on SIGKILL, and a clear refusal to start twice.</summary>
public sealed class ShutdownTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Sigterm_LetsInFlightRequestsFinish_StopsEveryInstance_AndExitsZero()
    {
        await using var up = await UpProcess.StartAsync(servers: 2);
        var pids = up.AllInstancePids.ToArray();
        Assert.Equal(2, pids.Length);
        Assert.All(pids, pid => Assert.True(ProcessProbe.IsAlive(pid)));

        // Starting the same farm again: refused before anything starts, with the port named.
        var second = await UpProcess.RunToExitAsync(["up", "--port", $"{up.Port}", "--admin-port", $"{up.AdminPort}", "--state-port", $"{up.StatePort}"], Timeout);
        Assert.Equal(2, second.ExitCode);
        Assert.Contains($"port {up.Port} in use: another webfarm up or another server is listening; use --port", second.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", second.Stderr, StringComparison.Ordinal); // No stack trace.
        Assert.DoesNotContain("building", second.Stdout, StringComparison.Ordinal); // Checked before building anything.

        // A slow request is in flight when the stop begins: the drain lets it finish.
        using var client = new HttpClient { BaseAddress = up.Url, Timeout = TimeSpan.FromSeconds(60) };
        using var ready = await client.GetAsync("/status/200");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var slow = client.GetAsync("/slow?ms=3000");
        await Eventually.TrueAsync(async () => (await GetInFlightAsync(up)) > 0, Timeout, "the slow request to be in flight");

        up.Signal("TERM");

        using var slowResponse = await slow;
        Assert.Equal(HttpStatusCode.OK, slowResponse.StatusCode);
        Assert.Equal(0, await up.WaitForExitAsync(Timeout));
        Assert.All(pids, pid => Assert.False(ProcessProbe.IsAlive(pid), $"instance pid {pid} outlived webfarm up"));
        Assert.Contains("stopped", up.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigkill_OfWebfarmUp_LeavesNoOrphanInstance()
    {
        await using var up = await UpProcess.StartAsync(servers: 2);
        var pids = up.AllInstancePids.ToArray();
        Assert.Equal(2, pids.Length);
        Assert.All(pids, pid => Assert.True(ProcessProbe.IsAlive(pid)));

        up.Signal("KILL");
        await up.WaitForExitAsync(Timeout);

        await Eventually.TrueAsync(() => pids.All(pid => !ProcessProbe.IsAlive(pid)), Timeout, "the orphaned instances to exit");
    }

    private static async Task<int> GetInFlightAsync(UpProcess up)
    {
        using var admin = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var total = 0;
        foreach (var name in new[] { "web1", "web2" })
        {
            total += (await up.GetServerAsync(admin, name)).GetProperty("inFlight").GetInt32();
        }

        return total;
    }
}
