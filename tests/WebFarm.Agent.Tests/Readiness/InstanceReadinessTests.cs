using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using WebFarm.Agent.Readiness;
using WebFarm.Agent.Supervision;
using WebFarm.Agent.Tests.Infrastructure;
using WebFarm.Balancer.Health;

namespace WebFarm.Agent.Tests.Readiness;

/// <summary>
/// The start-up wait follows the instance: real processes (a shell, HelloFarm) on loopback ports. Waits that must end
/// early are given limits far beyond the test's own timeout, so a wait that sat them out fails the test.
/// </summary>
public sealed class InstanceReadinessTests : IDisposable
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Never reached by a wait that follows the instance.</summary>
    private static readonly TimeSpan Forever = TimeSpan.FromMinutes(30);

    private static readonly RestartBackoff SlowRestart = new() { Initial = TimeSpan.FromMinutes(10), Maximum = TimeSpan.FromMinutes(10) };

    private readonly HealthProbe _probe = new();

    [Fact]
    public async Task AProcessThatExits_EndsTheWaitAtOnce_WithItsOutput()
    {
        var dies = Shell("echo 'loading settings'; echo 'fatal: ConnectionStrings:Db is not set' >&2; exit 3");
        await using var web = new RecordingInstance("web1", o => o with { Backoff = SlowRestart }, dies);
        var readiness = new InstanceReadiness(_probe, new ReadinessOptions { ListenTimeout = Forever, FailingGrace = Forever });

        web.Instance.Start();
        var result = await readiness.WaitAsync(web.Instance, rule: null, CancellationToken.None).WaitAsync(TestTimeout);

        Assert.Equal(ReadinessOutcome.Exited, result.Outcome);
        Assert.StartsWith("exited with code 3", result.Reason, StringComparison.Ordinal);
        Assert.Contains("loading settings", result.Output);
        Assert.Contains("fatal: ConnectionStrings:Db is not set", result.Output);
        Assert.Null(result.Rule);
    }

    [Fact]
    public async Task ACrashBeforeTheWaitBegan_IsReportedToo()
    {
        await using var web = new RecordingInstance("web1", o => o with { Backoff = SlowRestart }, Shell("echo 'gone'; exit 7"));
        web.Instance.Start();
        await Eventually.TrueAsync(() => web.Instance.State == InstanceState.BackingOff, TestTimeout, "the crash");
        var readiness = new InstanceReadiness(_probe, new ReadinessOptions { ListenTimeout = Forever, FailingGrace = Forever });

        var result = await readiness.WaitAsync(web.Instance, rule: null, CancellationToken.None).WaitAsync(TestTimeout);

        Assert.Equal(ReadinessOutcome.Exited, result.Outcome);
        Assert.StartsWith("exited with code 7", result.Reason, StringComparison.Ordinal);
        Assert.Equal(web.Instance.LastCrash!.Reason, result.Reason);
    }

    [Fact]
    public async Task AProcessThatNeverListens_IsGivenUpOnAfterTheListenTimeout_WithItsOutput()
    {
        await using var web = new RecordingInstance("web1", o => o with { StopTimeout = TimeSpan.FromSeconds(5) }, Shell("echo 'listening on port 9999 instead'; while :; do sleep 1; done"));
        var readiness = new InstanceReadiness(_probe, new ReadinessOptions { ListenTimeout = TimeSpan.FromSeconds(1), FailingGrace = Forever });

        web.Instance.Start();
        var result = await readiness.WaitAsync(web.Instance, rule: null, CancellationToken.None).WaitAsync(TestTimeout);

        Assert.Equal(ReadinessOutcome.NotListening, result.Outcome);
        Assert.Contains($"accepted no connection on {web.Instance.Address}", result.Reason, StringComparison.Ordinal);
        Assert.Contains("connection refused", result.Reason, StringComparison.Ordinal);
        Assert.Contains("listening on port 9999 instead", result.Output);
        Assert.Equal(InstanceState.Running, web.Instance.State);
    }

    [Fact]
    public async Task AHealthEndpointThatFails_ChoosesItselfAsTheCheck_AndIsReportedUnhealthyAfterTheGrace()
    {
        // HelloFarm's /healthz answers 503 when its state store is unreachable (nothing listens on this port).
        await using var web = new RecordingInstance("web1", o => o with
        {
            Environment = new Dictionary<string, string>(o.Environment) { ["WEBFARM_STATE_ENDPOINT"] = $"127.0.0.1:{LoopbackPort.FindFree()}" },
        });
        var readiness = new InstanceReadiness(_probe, new ReadinessOptions { ListenTimeout = Forever, FailingGrace = TimeSpan.FromSeconds(1) });

        web.Instance.Start();
        var result = await readiness.WaitAsync(web.Instance, rule: null, CancellationToken.None).WaitAsync(TestTimeout);

        Assert.Equal(ReadinessOutcome.Unhealthy, result.Outcome);
        Assert.Equal("/healthz", result.Rule!.Path);
        Assert.Equal("the app has a /healthz: it answered 503", result.Rule.Why);
        Assert.StartsWith("GET /healthz answered 503 for 1s (status 503 not in 200-399); body: ", result.Reason, StringComparison.Ordinal);
        Assert.Equal(503, result.LastCheck!.StatusCode);
        Assert.Empty(result.Output);
    }

    [Theory]
    [InlineData(200)]
    [InlineData(404)] // An API with nothing on / still serves.
    public async Task AnAppWithoutHealthz_IsReadyOnceGetRootAnswersBelow500(int rootStatus)
    {
        // The supervised process only has to live; the app it stands for listens on its port in this test process.
        await using var web = new RecordingInstance("web1", o => o with { StopTimeout = TimeSpan.FromSeconds(5) }, Shell("while :; do sleep 1; done"));
        web.Instance.Start();
        await using var app = await ServeAsync(web.Instance.Port, a => a.MapGet("/", () => Results.Text("home", statusCode: rootStatus)));
        var readiness = new InstanceReadiness(_probe, new ReadinessOptions { ListenTimeout = Forever, FailingGrace = Forever });

        var chosen = new List<HealthRule>();

        var result = await readiness.WaitAsync(web.Instance, rule: null, CancellationToken.None, chosen.Add).WaitAsync(TestTimeout);

        Assert.Equal(ReadinessOutcome.Ready, result.Outcome);
        Assert.Equal("GET / answers below 500 (the app has no /healthz: it answered 404)", result.Rule!.ToString());
        Assert.Same(result.Rule, Assert.Single(chosen)); // Told once, as soon as it was chosen, so other instances can use it.
        Assert.Equal($"GET / answered {rootStatus}", result.Reason);
    }

    [Fact]
    public async Task AGivenCheck_IsTheOneProbed_AndEndsTheWaitWhenItPasses()
    {
        await using var web = new RecordingInstance("web1", o => o with { StopTimeout = TimeSpan.FromSeconds(5) }, Shell("while :; do sleep 1; done"));
        web.Instance.Start();
        var readiness = new InstanceReadiness(_probe, new ReadinessOptions { ListenTimeout = Forever, FailingGrace = Forever });
        var probed = 0;
        var wait = readiness.WaitAsync(web.Instance, HealthRule.ForPath("/ready", "the test"), CancellationToken.None);

        // Not listening yet: refused connections are not failures, the wait goes on.
        await Task.Delay(300);
        Assert.False(wait.IsCompleted);
        await using var app = await ServeAsync(web.Instance.Port, a =>
        {
            a.MapGet("/ready", () => Interlocked.Increment(ref probed) < 3 ? Results.StatusCode(503) : Results.Text("ready"));
            a.MapGet("/healthz", () => Results.StatusCode(500));
        });
        var result = await wait.WaitAsync(TestTimeout);

        Assert.Equal(ReadinessOutcome.Ready, result.Outcome);
        Assert.Equal("GET /ready answered 200", result.Reason);
        Assert.Equal(3, probed);
    }

    [Fact]
    public async Task Cancellation_EndsTheWait()
    {
        await using var web = new RecordingInstance("web1", o => o with { StopTimeout = TimeSpan.FromSeconds(5) }, Shell("while :; do sleep 1; done"));
        var readiness = new InstanceReadiness(_probe, new ReadinessOptions { ListenTimeout = Forever, FailingGrace = Forever });
        web.Instance.Start();
        using var cancel = new CancellationTokenSource();

        var wait = readiness.WaitAsync(web.Instance, rule: null, cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WaitAsync(TestTimeout));
    }

    public void Dispose() => _probe.Dispose();

    /// <summary>A real Kestrel app on 127.0.0.1:<paramref name="port"/>.</summary>
    private static async Task<WebApplication> ServeAsync(int port, Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return app;
    }

    private static AppLaunch Shell(string script) => new("/bin/sh", ["-c", script], Path.GetTempPath(), "shell");
}
