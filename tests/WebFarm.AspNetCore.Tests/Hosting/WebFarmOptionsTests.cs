using WebFarm.AspNetCore.Hosting;
using WebFarm.AspNetCore.Tests.Infrastructure;

namespace WebFarm.AspNetCore.Tests.Hosting;

/// <summary>Settings: appsettings binding, the WEBFARM_* variables set by webfarm up, and clear errors.</summary>
public sealed class WebFarmOptionsTests
{
    [Fact]
    public void Environment_variables_override_configuration()
    {
        var options = new WebFarmOptions { ServerName = "from-config", StateEndpoints = ["10.0.0.1:1"], ApplicationName = "config-app" };
        var environment = new Dictionary<string, string>
        {
            ["WEBFARM_SERVER_NAME"] = "web-2",
            ["WEBFARM_STATE_ENDPOINT"] = "127.0.0.1:42424, 127.0.0.1:42425",
            ["WEBFARM_APPLICATION_NAME"] = "shop",
            ["WEBFARM_TRUSTED_PROXIES"] = "127.0.0.1,10.0.0.0/8",
            ["WEBFARM_STATE_PASSWORD"] = "pw",
        };
        options.ApplyEnvironment(name => environment.GetValueOrDefault(name));
        options.Normalize("HostApp");
        Assert.Equal("web-2", options.ServerName);
        Assert.Equal(["127.0.0.1:42424", "127.0.0.1:42425"], options.StateEndpoints);
        Assert.Equal("shop", options.ApplicationName);
        Assert.Equal(["127.0.0.1", "10.0.0.0/8"], options.TrustedProxies);
        Assert.Equal("pw", options.Password);
        Assert.Equal("shop:", options.CacheKeyPrefix);
    }

    [Theory]
    [InlineData("cluster", WebFarm.AspNetCore.Resp.RespTopology.Cluster)]
    [InlineData("Primary", WebFarm.AspNetCore.Resp.RespTopology.Primary)]
    [InlineData("AUTO", WebFarm.AspNetCore.Resp.RespTopology.Auto)]
    public void State_topology_comes_from_the_environment(string value, WebFarm.AspNetCore.Resp.RespTopology expected)
    {
        var options = new WebFarmOptions();
        options.ApplyEnvironment(name => name == "WEBFARM_STATE_TOPOLOGY" ? value : null);
        options.Normalize("HostApp");
        Assert.Equal(expected, options.StateTopology);
    }

    [Theory]
    [InlineData("sharded")]
    [InlineData("7")]
    public void An_unknown_state_topology_is_a_clear_error(string value)
    {
        var options = new WebFarmOptions();
        options.ApplyEnvironment(name => name == "WEBFARM_STATE_TOPOLOGY" ? value : null);
        var error = Assert.Throws<InvalidOperationException>(() => options.Normalize("HostApp"));
        Assert.Contains($"WebFarm:StateTopology (WEBFARM_STATE_TOPOLOGY) is '{value}'; use Auto, Primary or Cluster.", error.Message);
    }

    [Fact]
    public void Unset_environment_keeps_configuration_and_fills_defaults()
    {
        var options = new WebFarmOptions { ServerName = "from-config" };
        options.ApplyEnvironment(_ => null);
        options.Normalize("HostApp");
        Assert.Equal("from-config", options.ServerName);
        Assert.Equal([WebFarmOptions.DefaultStateEndpoint], options.StateEndpoints);
        Assert.Equal("HostApp", options.ApplicationName);
        Assert.Equal("/healthz", options.HealthPath);
    }

    [Fact]
    public async Task Invalid_settings_fail_at_startup_naming_every_bad_key()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => FarmApp.StartAsync(new Dictionary<string, string?>
        {
            ["WebFarm:StateEndpoints:0"] = "localhost",
            ["WebFarm:HealthPath"] = "healthz",
            ["WebFarm:SessionIdleTimeout"] = "00:00:00",
        }));
        Assert.Contains("WebFarm:StateEndpoints[0] 'localhost' is not host:port", error.Message);
        Assert.Contains("WebFarm:HealthPath", error.Message);
        Assert.Contains("WebFarm:SessionIdleTimeout", error.Message);
    }

    [Fact]
    public async Task Postgres_store_requires_a_connection_string()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => FarmApp.StartAsync(new Dictionary<string, string?>
        {
            ["WebFarm:Store"] = "Postgres",
        }));
        Assert.Contains("WebFarm:PostgresConnectionString is required", error.Message);
    }

    [Theory]
    [InlineData("-00:00:01", "00:00:30", "WebFarm:DrainDelay is -00:00:01; it must not be negative.")]
    [InlineData("00:00:30", "00:00:30", "WebFarm:DrainDelay is 00:00:30; it must be shorter than WebFarm:ShutdownTimeout (00:00:30)")]
    public void DrainDelay_must_leave_time_for_in_flight_requests(string drainDelay, string shutdownTimeout, string expected)
    {
        var options = new WebFarmOptions { DrainDelay = TimeSpan.Parse(drainDelay, System.Globalization.CultureInfo.InvariantCulture), ShutdownTimeout = TimeSpan.Parse(shutdownTimeout, System.Globalization.CultureInfo.InvariantCulture) };
        var error = Assert.Throws<InvalidOperationException>(() => options.Normalize("HostApp"));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DrainDelay_is_off_by_default_and_may_be_shorter_than_the_shutdown_timeout()
    {
        var options = new WebFarmOptions();
        options.Normalize("HostApp");
        Assert.Equal(TimeSpan.Zero, options.DrainDelay);

        var set = new WebFarmOptions { DrainDelay = TimeSpan.FromSeconds(29), ShutdownTimeout = TimeSpan.FromSeconds(30) };
        set.Normalize("HostApp");
        Assert.Equal(TimeSpan.FromSeconds(29), set.DrainDelay);
    }
}
