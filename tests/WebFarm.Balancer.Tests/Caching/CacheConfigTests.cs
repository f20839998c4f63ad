using WebFarm.Balancer.Configuration;

namespace WebFarm.Balancer.Tests.Caching;

/// <summary>A route's Cache section: values that read but make no sense are refused with their JSON path and why.</summary>
public sealed class CacheConfigTests
{
    [Theory]
    [InlineData("\"MaxMemory\": 0", "$.Routes[0].Cache.MaxMemory: must be a positive number of bytes")]
    [InlineData("\"MaxEntrySize\": -1", "$.Routes[0].Cache.MaxEntrySize: must be a positive number of bytes")]
    [InlineData("\"MaxMemory\": 1000, \"MaxEntrySize\": 2000", "$.Routes[0].Cache.MaxEntrySize: 2000 is larger than MaxMemory (1000)")]
    [InlineData("\"DefaultLifetime\": \"-5s\"", "$.Routes[0].Cache.DefaultLifetime: ")]
    [InlineData("\"IgnoreQueryParameters\": [\"utm\", \"\"]", "$.Routes[0].Cache.IgnoreQueryParameters[1]: a query parameter name must not be empty")]
    [InlineData("\"Disk\": {\"MaxBytes\": 1048576}", "$.Routes[0].Cache.Disk.Path: is required")]
    [InlineData("\"Disk\": {\"Path\": \"cache/static\"}", "$.Routes[0].Cache.Disk.Path: 'cache/static' is not an absolute path")]
    [InlineData("\"Disk\": {\"Path\": \"/tmp/c\", \"MaxBytes\": 0}", "$.Routes[0].Cache.Disk.MaxBytes: must be a positive number of bytes")]
    [InlineData("\"Disk\": {\"Path\": \"/tmp/c\", \"MaxBytes\": 1000}", "$.Routes[0].Cache.Disk.MaxBytes: 1000 is smaller than MaxEntrySize (1048576)")]
    [InlineData("\"Disk\": {\"Path\": \"/tmp/c\", \"MaxBytes\": \"1G\"}", "$.Routes[0].Cache.Disk.MaxBytes: expected a whole number, got")]
    [InlineData("\"Disk\": {\"Path\": \"/tmp/c\", \"Size\": 5}", "$.Routes[0].Cache.Disk.Size: unknown key")]
    public void A_bad_cache_setting_is_refused_with_its_path(string setting, string error)
    {
        var json = """
            {"Listen": ["http://127.0.0.1:8080"], "Farms": {"web": {"Servers": [{"Name": "a", "Address": "http://127.0.0.1:5000"}]}},
             "Routes": [{"Farm": "web", "Cache": {SETTING}}]}
            """.Replace("SETTING", setting, StringComparison.Ordinal);
        var ex = Assert.Throws<ConfigException>(() => BalancerConfigLoader.Parse(json, "farm.json"));
        Assert.Contains(ex.Errors, e => e.ToString().Contains(error, StringComparison.Ordinal));
    }

    [Fact]
    public void Two_routes_may_not_share_a_disk_folder()
    {
        var json = """
            {"Listen": ["http://127.0.0.1:8080"], "Farms": {"web": {"Servers": [{"Name": "a", "Address": "http://127.0.0.1:5000"}]}},
             "Routes": [{"Farm": "web", "Cache": {"Disk": {"Path": "/var/cache/wf"}}}, {"Farm": "web", "Path": "/b", "Cache": {"Disk": {"Path": "/var/cache/wf/"}}}]}
            """;
        var ex = Assert.Throws<ConfigException>(() => BalancerConfigLoader.Parse(json, "farm.json"));
        Assert.Contains(ex.Errors, e => e.ToString().Contains("$.Routes[1].Cache.Disk.Path: '/var/cache/wf/' is already the disk folder of $.Routes[0].Cache.Disk.Path", StringComparison.Ordinal));
    }

    [Fact]
    public void A_cache_section_reads_with_its_defaults()
    {
        var config = BalancerConfigLoader.Parse("""
            {"Listen": ["http://127.0.0.1:8080"], "Farms": {"web": {"Servers": [{"Name": "a", "Address": "http://127.0.0.1:5000"}]}},
             "Routes": [{"Farm": "web", "Cache": {"DefaultLifetime": "60s", "IgnoreQueryParameters": ["utm_source"]}}, {"Farm": "web", "Path": "/api"}]}
            """);
        var cache = config.Routes[0].Cache!;
        Assert.Equal(TimeSpan.FromSeconds(60), cache.DefaultLifetime);
        Assert.Equal(["utm_source"], cache.IgnoreQueryParameters);
        Assert.Equal(64 * 1024 * 1024, cache.MaxMemory);
        Assert.Null(config.Routes[1].Cache);
        Assert.Null(cache.Disk);

        var disk = BalancerConfigLoader.Parse("""
            {"Listen": ["http://127.0.0.1:8080"], "Farms": {"web": {"Servers": [{"Name": "a", "Address": "http://127.0.0.1:5000"}]}},
             "Routes": [{"Farm": "web", "Cache": {"Disk": {"Path": "/var/cache/wf"}}}]}
            """).Routes[0].Cache!.Disk!;
        Assert.Equal("/var/cache/wf", disk.Path);
        Assert.Equal(1024L * 1024 * 1024, disk.MaxBytes);
    }
}
