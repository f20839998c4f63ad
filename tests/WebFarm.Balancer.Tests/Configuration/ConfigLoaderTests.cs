using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.LoadBalancing;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Configuration;

/// <summary>Parsing, defaults and validation errors (file, JSON path, reason; all of them at once).</summary>
public sealed class ConfigLoaderTests
{
    private const string Minimal = """
        { "Farms": { "web": { "Servers": [ { "Name": "web1", "Address": "http://127.0.0.1:5001" } ] } } }
        """;

    [Fact]
    public void Absent_keys_get_their_defaults()
    {
        var config = BalancerConfigLoader.Parse(Minimal);
        var farm = config.Farms["web"];

        Assert.Equal("http://127.0.0.1:8080", config.Listen.Single().Url);
        Assert.Equal("http://127.0.0.1:8089", config.Admin.Listen);
        Assert.Equal(".webfarm", config.StateDirectory);
        Assert.False(config.AccessLog);
        Assert.True(config.Http1FrontEnd);
        Assert.Equal(SocketEngine.Auto, config.SocketEngine);
        Assert.Equal(OperatingSystem.IsLinux() && Environment.Is64BitProcess, config.UsesEpoll);
        Assert.Equal(LoadBalancingAlgorithm.RoundRobin, farm.LoadBalancing);
        Assert.Equal("1.1", farm.HttpVersion);
        Assert.True(farm.DirectHttp1);
        Assert.True(farm.PreserveHost);
        Assert.Equal(TimeSpan.FromSeconds(5), farm.Timeouts.Connect);
        Assert.Equal(TimeSpan.FromSeconds(60), farm.Timeouts.ResponseHeaders);
        Assert.Equal(TimeSpan.FromSeconds(100), farm.Timeouts.Idle);
        Assert.Equal(0, farm.Limits.MaxConcurrentRequestsPerServer);
        Assert.Equal(100, farm.Limits.QueueLength);
        Assert.Equal(3, farm.Retries.MaxAttempts);
        Assert.Equal(65536, farm.Retries.MaxBufferedBody);
        Assert.Null(farm.Health);
        Assert.Null(farm.PassiveHealth);
        Assert.Equal(AffinityMode.None, farm.Affinity.Mode);
        Assert.Equal(1, farm.Servers[0].Weight);
        Assert.False(farm.Servers[0].Backup);
        Assert.Empty(config.Routes);
    }

    [Fact]
    public void A_full_file_with_comments_parses()
    {
        var config = BalancerConfigLoader.Parse("""
            {
              // people comment their configs
              "Listen": [ "http://127.0.0.1:8080", { "Url": "http://127.0.0.1:8443", "Protocols": "Http2" } ],
              "Admin": { "Listen": "http://0.0.0.0:8089", "Token": "0123456789abcdef0123" },
              "TrustedProxies": [ "10.0.0.0/8", "127.0.0.1" ],
              "AccessLog": true,
              "Http1FrontEnd": false,
              "SocketEngine": "Sockets",
              "Farms": {
                "web": {
                  "LoadBalancing": "Hash", "HashKey": "header:X-User", "HttpVersion": "2", "PreserveHost": false, "DirectHttp1": false,
                  "Timeouts": { "Connect": "250ms", "ResponseHeaders": "00:00:30", "Idle": "2m" },
                  "Limits": { "MaxConcurrentRequestsPerServer": 50, "QueueLength": 10, "QueueTimeout": "1s" },
                  "MinimumHealthyServers": 1, "SlowStart": "30s",
                  "Retries": { "MaxAttempts": 2, "MaxBufferedBody": 1024 },
                  "Health": { "Path": "/healthz", "Interval": "2s", "ExpectedStatus": "200-299,404", "Rise": 3 },
                  "PassiveHealth": { "FailureStatus": "500,502-504", "MaxFailures": 5 },
                  "Affinity": { "Mode": "Cookie", "CookieLifetime": "1h" },
                  "Servers": [
                    { "Name": "web1", "Address": "http://10.0.0.1:5000", "Weight": 3, "MaxConcurrentRequests": 5 },
                    { "Name": "web2", "Address": "http://10.0.0.2:5000", "Backup": true, "Health": { "Path": "/ready" } }
                  ]
                },
                "api": { "Servers": [] },
              },
              "Routes": [ { "Host": "*.example.com", "Path": "/api", "Headers": { "X-Version": "2" }, "Farm": "api", "StripPrefix": true },
                          { "Farm": "web" } ]
            }
            """, "farm.json");

        Assert.Equal(ListenProtocols.Http2, config.Listen[1].Protocols);
        Assert.True(config.AccessLog);
        Assert.False(config.Http1FrontEnd);
        Assert.Equal(SocketEngine.Sockets, config.SocketEngine);
        Assert.False(config.UsesEpoll);
        var web = config.Farms["web"];
        Assert.Equal(LoadBalancingAlgorithm.Hash, web.LoadBalancing);
        Assert.False(web.DirectHttp1);
        Assert.Equal(TimeSpan.FromMilliseconds(250), web.Timeouts.Connect);
        Assert.Equal(TimeSpan.FromSeconds(30), web.Timeouts.ResponseHeaders);
        Assert.True(web.Health!.ExpectedStatus.Contains(404));
        Assert.False(web.Health.ExpectedStatus.Contains(301));
        Assert.Equal(3, web.Health.Rise);
        Assert.True(web.PassiveHealth!.FailureStatus!.Contains(503));
        Assert.Equal(TimeSpan.FromHours(1), web.Affinity.CookieLifetime);
        Assert.Equal(5, web.Servers[0].MaxConcurrentRequests);
        Assert.Equal("/ready", web.Servers[1].Health!.Path);
        Assert.True(config.Routes[0].StripPrefix);
        Assert.Equal("2", config.Routes[0].Headers!["X-Version"]);
    }

    [Fact]
    public void Every_error_is_reported_with_file_path_and_reason()
    {
        var ex = Assert.Throws<ConfigException>(() => BalancerConfigLoader.Parse("""
            {
              "Listen": [ "https://127.0.0.1:443" ],
              "Farms": {
                "web": {
                  "LoadBalancing": "Fastest",
                  "Timeouts": { "Connect": "5 parsecs" },
                  "Servers": [
                    { "Name": "web1", "Address": "http://127.0.0.1:5001", "Wieght": 2 },
                    { "Name": "web1", "Address": "not a url", "Weight": 20000 }
                  ]
                }
              },
              "Routes": [ { "Farm": "missing", "Path": "api" } ]
            }
            """, "/etc/webfarm/farm.json"));

        string Reason(string path) => Assert.Single(ex.Errors, e => e.Path == path).Reason;
        Assert.All(ex.Errors, e => Assert.Equal("/etc/webfarm/farm.json", e.File));
        Assert.Contains("is required for an https listener", Reason("$.Listen[0].Certificates"));
        Assert.Contains("\"Fastest\" is not one of: RoundRobin", Reason("$.Farms.web.LoadBalancing"));
        Assert.Contains("unknown duration unit", Reason("$.Farms.web.Timeouts.Connect"));
        Assert.Contains("unknown key 'Wieght'", Reason("$.Farms.web.Servers[0].Wieght"));
        Assert.Contains("used twice", Reason("$.Farms.web.Servers[1].Name"));
        Assert.Contains("not an http:// or https:// URL", Reason("$.Farms.web.Servers[1].Address"));
        Assert.Contains("out of range", Reason("$.Farms.web.Servers[1].Weight"));
        Assert.Contains("unknown farm 'missing'", Reason("$.Routes[0].Farm"));
        Assert.Contains("starting with '/'", Reason("$.Routes[0].Path"));
        Assert.Contains("/etc/webfarm/farm.json: $.Farms.web.LoadBalancing:", ex.Message);
    }

    [Theory]
    [InlineData("""{ "Farms": { "web": { "Servers": [] } }, "Bogus": 1 }""", "$.Bogus", "unknown key 'Bogus'")]
    [InlineData("""{ "Farms": { "web": { "LoadBalancing": "Hash", "Servers": [] } } }""", "$.Farms.web.HashKey", "is required for LoadBalancing \"Hash\"")]
    [InlineData("""{ "Farms": { "web": { "HashKey": "body", "Servers": [] } } }""", "$.Farms.web.HashKey", "is not \"header:NAME\"")]
    [InlineData("""{ "Farms": { "a": { "Servers": [] }, "b": { "Servers": [] } } }""", "$.Routes", "routes are required")]
    [InlineData("""{ "Farms": {} }""", "$.Farms", "at least one farm")]
    [InlineData("""{ "Farms": { "web": { "HttpVersion": "3", "Servers": [] } } }""", "$.Farms.web.HttpVersion", "use \"1.1\" or \"2\"")]
    [InlineData("""{ "Farms": { "web": { "Servers": [ { "Address": "http://a:1" } ] } } }""", "$.Farms.web.Servers[0].Name", "is required")]
    [InlineData("""{ "Farms": { "web": { "Servers": [], "Retries": { "MaxAttempts": 0 } } } }""", "$.Farms.web.Retries.MaxAttempts", "between 1")]
    [InlineData("""{ "Farms": { "web": { "Servers": [], "Health": { "Rise": 0 } } } }""", "$.Farms.web.Health.Rise", "at least 1")]
    [InlineData("""{ "Farms": { "web": { "Servers": [], "Retries": { "MaxBufferedBody": -1 } } } }""", "$.Farms.web.Retries.MaxBufferedBody", "must be between 0 and 16777216 bytes")]
    [InlineData("""{ "Farms": { "web": { "Servers": [], "Retries": { "MaxBufferedBody": 16777217 } } } }""", "$.Farms.web.Retries.MaxBufferedBody", "must be between 0 and 16777216 bytes")]
    [InlineData("""{ "Farms": { "web": { "Servers": [], "Retries": { "MaxBufferedBody": "64k" } } } }""", "$.Farms.web.Retries.MaxBufferedBody", "expected a whole number, got")]
    [InlineData("""{ "Farms": { "web": { "Servers": [], "Retries": { "MaxBufferedBody": 1.5 } } } }""", "$.Farms.web.Retries.MaxBufferedBody", "expected a whole number, got")]
    [InlineData("""{ "Farms": { "web": { "Servers": [], "Health": { "ExpectedStatus": "200-700" } } } }""", "$.Farms.web.Health.ExpectedStatus", "out of range")]
    [InlineData("""{ "Farms": { "web": { "Servers": [], "Affinity": { "Mode": "Sticky" } } } }""", "$.Farms.web.Affinity.Mode", "not one of")]
    [InlineData("""{ "Farms": { "web": { "Servers": [] } }, "TrustedProxies": [ "10.0.0.1/8" ] }""", "$.TrustedProxies[0]", "not an IP address or network")]
    [InlineData("""{ "Farms": { "web": { "Servers": [] } }, "Admin": { "Listen": "http://0.0.0.0:8089" } }""", "$.Admin.Token", "not loopback")]
    [InlineData("""{ "Farms": { "web": { "Servers": [] } }, "AccessLog": "yes" }""", "$.AccessLog", "expected true or false")]
    [InlineData("""{ "Farms": { "web": { "Servers": [] } }, "Http1FrontEnd": 1 }""", "$.Http1FrontEnd", "expected true or false")]
    [InlineData("""{ "Farms": { "web": { "Servers": [] } }, "SocketEngine": "IoUring" }""", "$.SocketEngine", "not one of")]
    [InlineData("""{ "Farms": { "web": { "Servers": [] } }, "SocketEngine": 1 }""", "$.SocketEngine", "expected one of")]
    [InlineData("""{ "Farms": { "web": { "Servers": [] } }, "Routes": [ { "Farm": "web", "Host": "bad host!" } ] }""", "$.Routes[0].Host", "not a host name")]
    [InlineData("""{ "Farms": { "web": { "Servers": [] }, }""", "$", "not valid JSON")]
    public void Specific_errors(string json, string path, string reason)
    {
        var ex = Assert.Throws<ConfigException>(() => BalancerConfigLoader.Parse(json, "f.json"));
        Assert.Contains(ex.Errors, e => e.Path == path && e.Reason.Contains(reason, StringComparison.Ordinal) && e.File == "f.json");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16777216)]
    public void MaxBufferedBody_accepts_the_ends_of_its_range(int bytes)
    {
        var json = $$"""{ "Farms": { "web": { "Servers": [], "Retries": { "MaxBufferedBody": {{bytes}} } } } }""";
        Assert.Equal(bytes, BalancerConfigLoader.Parse(json).Farms["web"].Retries.MaxBufferedBody);
    }

    [Fact]
    public void The_example_in_docs_configuration_md_is_valid()
    {
        var doc = File.ReadAllText(RepositoryPaths.Docs("configuration.md"));
        var start = doc.IndexOf("```jsonc", StringComparison.Ordinal) + "```jsonc".Length;
        var end = doc.IndexOf("```", start, StringComparison.Ordinal);

        var config = BalancerConfigLoader.Parse(doc[start..end], "docs/configuration.md");

        Assert.Equal(2, config.Farms.Count);
        Assert.Equal(3, config.Routes.Count);
    }

    [Fact]
    public void A_missing_file_is_a_config_error_naming_it()
    {
        var ex = Assert.Throws<ConfigException>(() => BalancerConfigLoader.Load("/nonexistent/farm.json"));
        Assert.Equal("/nonexistent/farm.json", ex.Errors.Single().File);
        Assert.Contains("cannot read the file", ex.Errors.Single().Reason);
    }
}
