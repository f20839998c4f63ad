using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Tests.Farms;

/// <summary>
/// The order a reload publishes in (docs/architecture.md, "Snapshots, not locks"): build, views, snapshot, retire.
/// The reload is observed from inside, at the moment it builds a farm's passive-health observer (it asks the
/// runtime's logger factory for the "WebFarm.Health" logger then): what a request reading the runtime at that
/// moment would find must already hold the invariants.
/// </summary>
public sealed class ReloadPublicationOrderTests
{
    private static BalancerConfig Config(TimeSpan connect, bool passiveHealth) => new()
    {
        StateDirectory = null,
        Farms = new Dictionary<string, FarmOptions>(StringComparer.Ordinal)
        {
            ["web"] = new FarmOptions
            {
                Timeouts = new TimeoutOptions { Connect = connect },
                PassiveHealth = passiveHealth ? new PassiveHealthOptions() : null,
                Servers = [new ServerOptions { Name = "web1", Address = "http://127.0.0.1:9" }],
            },
        },
    };

    [Fact]
    public async Task While_a_reload_builds_the_farm_s_current_view_never_names_a_retired_transport()
    {
        var loggers = new ObservingLoggerFactory();
        await using var runtime = new BalancerRuntime(Config(TimeSpan.FromSeconds(5), passiveHealth: false), loggerFactory: loggers);
        var oldTransport = runtime.GetFarm("web").View.Transport;
        var seen = new List<bool>();
        loggers.OnCreate = category =>
        {
            if (category == "WebFarm.Health")
            {
                // What AttemptLease.TryBegin does with the farm's current view: take a use of its transport.
                var transport = runtime.GetFarm("web").View.Transport;
                var acquired = transport.TryAcquire();
                if (acquired)
                {
                    transport.Release();
                }

                seen.Add(acquired);
            }
        };

        // A new connect timeout replaces the transport; turning passive health on builds an observer meanwhile.
        runtime.Apply(Config(TimeSpan.FromSeconds(6), passiveHealth: true));

        Assert.Equal([true], seen);
        var view = runtime.GetFarm("web").View;
        Assert.NotSame(oldTransport, view.Transport);
        Assert.False(oldTransport.TryAcquire()); // retired once the new view was published
        Assert.True(view.Transport.TryAcquire());
        view.Transport.Release();
    }

    /// <summary>A logger factory that tells the test each time a logger is asked for.</summary>
    private sealed class ObservingLoggerFactory : ILoggerFactory
    {
        public Action<string>? OnCreate { get; set; }

        public ILogger CreateLogger(string categoryName)
        {
            OnCreate?.Invoke(categoryName);
            return NullLogger.Instance;
        }

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }
    }
}
