using System.Diagnostics;
using WebFarm.Agent.Supervision;
using WebFarm.Agent.Tests.Infrastructure;

namespace WebFarm.Agent.Tests.Supervision;

/// <summary>Supervises real HelloFarm processes on loopback ports.</summary>
public sealed class SupervisedInstanceTests
{
    private static readonly TimeSpan StateTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Start_RunsTheAppWithItsNameOnItsPort()
    {
        await using var web = new RecordingInstance("web1");

        web.Instance.Start();
        var pid = await web.WaitServingAsync();

        Assert.Equal(InstanceState.Running, web.Instance.State);
        Assert.Equal(pid, web.Instance.ProcessId);
        using var response = await web.Client.GetAsync(RecordingInstance.ProbePath);
        Assert.Equal("web1", response.Headers.GetValues("X-Served-By").Single());
        Assert.Equal([InstanceState.Starting, InstanceState.Running], web.Changes.Select(c => c.Current));
    }

    [Fact]
    public async Task KilledProcess_IsRestartedWithExponentialBackoff_ThatResetsAfterAStablePeriod()
    {
        // How long a process ran is read from a clock the test moves, so "within" and "after" the stable period do
        // not depend on how fast this machine starts HelloFarm.
        var clock = new ManualClock();
        var backoff = new RestartBackoff { Initial = TimeSpan.FromMilliseconds(300), Maximum = TimeSpan.FromSeconds(5), StablePeriod = TimeSpan.FromSeconds(10) };
        await using var web = new RecordingInstance("web1", o => o with { Backoff = backoff, Time = clock });
        web.Instance.Start();
        var first = await web.WaitServingAsync();

        // Two crashes while the clock stands still: a crash streak, so the second delay doubles.
        ProcessProbe.KillHard(first);
        var second = await web.WaitServingAsync(notPid: first);
        ProcessProbe.KillHard(second);
        var third = await web.WaitServingAsync(notPid: second);

        var delays = web.Changes.Where(c => c.Current == InstanceState.BackingOff).Select(c => c.RestartDelay).ToArray();
        Assert.Equal([TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(600)], delays);
        var crash = web.Changes.First(c => c.Current == InstanceState.Crashed);
        Assert.Equal(first, crash.ProcessId);
        Assert.Contains("signal 9", crash.Reason, StringComparison.Ordinal);
        Assert.Equal(second, web.Instance.LastCrash!.ProcessId);
        Assert.Equal(2, web.Instance.Restarts);
        Assert.False(ProcessProbe.IsAlive(first));
        Assert.False(ProcessProbe.IsAlive(second));

        // After running longer than the stable period, a crash is a new incident: back to the initial delay.
        // (Running is reported after the supervisor noted the start, so the clock moves after that point.)
        await Eventually.TrueAsync(() => web.Changes.Any(c => c.Current == InstanceState.Running && c.ProcessId == third), StateTimeout, "the third process to run");
        clock.Advance(backoff.StablePeriod + TimeSpan.FromSeconds(1));
        ProcessProbe.KillHard(third);
        await web.WaitServingAsync(notPid: third);

        var lastDelay = web.Changes.Last(c => c.Current == InstanceState.BackingOff).RestartDelay;
        Assert.Equal(TimeSpan.FromMilliseconds(300), lastDelay);
        Assert.Equal(3, web.Instance.Restarts);
    }

    [Fact]
    public async Task Stop_DrainsWhileTheAppStillServes_ThenSigtermEndsItGracefully()
    {
        var drainSawServingApp = false;
        var drainState = InstanceState.Stopped;
        RecordingInstance? web = null;
        web = new RecordingInstance("web1", o => o with
        {
            DrainAsync = async (instance, ct) =>
            {
                drainState = instance.State;
                using var response = await web!.Client.GetAsync(RecordingInstance.ProbePath, ct);
                drainSawServingApp = response.Headers.Contains("X-Instance-Id");
            },
        });
        await using (web)
        {
            web.Instance.Start();
            var pid = await web.WaitServingAsync();
            using var process = Process.GetProcessById(pid);

            await web.Instance.StopAsync();

            Assert.True(drainSawServingApp, "the drain callback ran after the app had stopped serving");
            Assert.Equal(InstanceState.Stopping, drainState);
            Assert.Equal(InstanceState.Stopped, web.Instance.State);
            Assert.Null(web.Instance.ProcessId);
            Assert.False(ProcessProbe.IsAlive(pid));
            // ASP.NET Core exits with 0 after SIGTERM; SIGKILL would have been reported as "exit code 137".
            Assert.Contains("exit code 0", web.Changes[^1].Reason, StringComparison.Ordinal);
            Assert.DoesNotContain(web.Changes, c => c.Current is InstanceState.Crashed or InstanceState.BackingOff);
        }
    }

    [Fact]
    public async Task Stop_KillsAProcessThatIgnoresSigterm_AfterTheStopTimeout()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var stubborn = new AppLaunch("/bin/sh", ["-c", "trap '' TERM; echo ready; while :; do sleep 1; done"], Path.GetTempPath(), "stubborn");
        await using var web = new RecordingInstance("stubborn", o => o with { StopTimeout = TimeSpan.FromSeconds(1) }, stubborn);
        web.Instance.Start();
        await Eventually.TrueAsync(() => web.Instance.Output.Snapshot().Contains("ready"), StateTimeout, "the shell to start");
        var pid = web.Instance.ProcessId!.Value;

        await web.Instance.StopAsync();

        Assert.False(ProcessProbe.IsAlive(pid));
        Assert.Contains("exit code 137", web.Changes[^1].Reason, StringComparison.Ordinal);
        Assert.Contains(web.Instance.Output.Snapshot(), line => line.Contains("killing", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stop_DuringBackoff_DoesNotRestart()
    {
        // A restart delay no test run reaches: a stop that waited for it would time out below.
        var backoff = new RestartBackoff { Initial = TimeSpan.FromHours(1), Maximum = TimeSpan.FromHours(1) };
        var crashing = new AppLaunch("/bin/sh", ["-c", "exit 3"], Path.GetTempPath(), "crashing");
        await using var web = new RecordingInstance("crashing", o => o with { Backoff = backoff }, crashing);
        web.Instance.Start();
        await Eventually.TrueAsync(() => web.Instance.State == InstanceState.BackingOff, StateTimeout, "the first crash");

        await web.Instance.StopAsync().WaitAsync(StateTimeout);

        Assert.Equal(InstanceState.Stopped, web.Instance.State);
        Assert.Contains(web.Changes, c => c.Current == InstanceState.Crashed && c.Reason.StartsWith("exited with code 3", StringComparison.Ordinal));
        Assert.StartsWith("exited with code 3", web.Instance.LastCrash!.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(web.Changes.SkipWhile(c => c.Current != InstanceState.BackingOff), c => c.Current is InstanceState.Starting or InstanceState.Running);
        Assert.Equal(0, web.Instance.Restarts);
    }

    [Fact]
    public async Task UnlaunchableProgram_IsReportedAsACrash_WithTheReason()
    {
        var missing = new AppLaunch("/nonexistent/program", [], Path.GetTempPath(), "missing");
        await using var web = new RecordingInstance("missing", o => o with { Backoff = new RestartBackoff { Initial = TimeSpan.FromSeconds(30) } }, missing);

        web.Instance.Start();
        await Eventually.TrueAsync(() => web.Instance.State == InstanceState.BackingOff, StateTimeout, "the failed launch");

        var crash = web.Changes.Single(c => c.Current == InstanceState.Crashed);
        Assert.True(crash.Reason.Contains("/nonexistent/program", StringComparison.Ordinal) || crash.Reason.Contains("exited with code 127", StringComparison.Ordinal), crash.Reason);
    }
}
