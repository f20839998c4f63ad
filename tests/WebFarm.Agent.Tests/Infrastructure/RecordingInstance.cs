using System.Collections.Concurrent;
using WebFarm.Agent.Supervision;

namespace WebFarm.Agent.Tests.Infrastructure;

/// <summary>A supervised HelloFarm instance on a free port that records every state change; stops on dispose.</summary>
internal sealed class RecordingInstance : IAsyncDisposable
{
    private readonly ConcurrentQueue<InstanceStateChange> _changes = new();

    public RecordingInstance(string name, Func<SupervisedInstanceOptions, SupervisedInstanceOptions>? configure = null, AppLaunch? launch = null)
    {
        var options = new SupervisedInstanceOptions
        {
            Name = name,
            Launch = launch ?? AppLaunch.ForDll(RepositoryPaths.HelloFarmDll),
            Port = LoopbackPort.FindFree(),
            Environment = new Dictionary<string, string>
            {
                ["WEBFARM_SERVER_NAME"] = name,
                ["Logging__LogLevel__Default"] = "Warning",
            },
            StopTimeout = TimeSpan.FromSeconds(15),
        };
        Instance = new SupervisedInstance(configure is null ? options : configure(options));
        Instance.StateChanged += _changes.Enqueue;
        Client = new HttpClient { BaseAddress = Instance.Address, Timeout = TimeSpan.FromSeconds(5) };
    }

    /// <summary>
    /// These tests run no state service, so HelloFarm's health endpoint answers 503 (store unreachable):
    /// any answer stamped with the instance's pid proves the process serves.
    /// </summary>
    public const string ProbePath = "/healthz";

    public SupervisedInstance Instance { get; }

    public HttpClient Client { get; }

    public IReadOnlyList<InstanceStateChange> Changes => [.. _changes];

    /// <summary>Waits until the app answers HTTP requests and returns the pid it reports (X-Instance-Id).</summary>
    public async Task<int> WaitServingAsync(int? notPid = null)
    {
        var pid = await Eventually.ReturnsAsync(async () =>
        {
            using var response = await Client.GetAsync(ProbePath);
            if (!response.Headers.TryGetValues("X-Instance-Id", out var ids))
            {
                return null;
            }

            var id = ids.Single();
            return id == notPid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ? null : id;
        }, TimeSpan.FromSeconds(60), $"{Instance.Name} to serve requests");
        return int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        await Instance.StopAsync();
        Client.Dispose();
    }
}
