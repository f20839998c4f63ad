using WebFarm.Balancer.Configuration;

namespace WebFarm.Balancer.Tests.Compression;

/// <summary>The <c>Compression</c> keys of a farm and a route: defaults, a route replacing its farm's, and each bad value with its JSON path.</summary>
public class CompressionConfigTests
{
    [Theory]
    [InlineData(""" "Compression": { "Encodings": ["br", "deflate"] } """, "$.Farms.web.Compression.Encodings[1]", "unknown encoding \"deflate\" (expected \"br\" or \"gzip\")")]
    [InlineData(""" "Compression": { "Encodings": ["gzip", "GZIP"] } """, "$.Farms.web.Compression.Encodings[1]", "\"GZIP\" is listed twice")]
    [InlineData(""" "Compression": { "Encodings": [] } """, "$.Farms.web.Compression.Encodings", "lists no encoding")]
    [InlineData(""" "Compression": { "Encodings": "br" } """, "$.Farms.web.Compression.Encodings", "expected an array")]
    [InlineData(""" "Compression": { "BrotliQuality": 12 } """, "$.Farms.web.Compression.BrotliQuality", "must be 0-11, got 12")]
    [InlineData(""" "Compression": { "BrotliQuality": -1 } """, "$.Farms.web.Compression.BrotliQuality", "must be 0-11, got -1")]
    [InlineData(""" "Compression": { "GzipLevel": 0 } """, "$.Farms.web.Compression.GzipLevel", "must be 1-9, got 0")]
    [InlineData(""" "Compression": { "GzipLevel": "fastest" } """, "$.Farms.web.Compression.GzipLevel", "expected a whole number")]
    [InlineData(""" "Compression": { "MinimumSize": -5 } """, "$.Farms.web.Compression.MinimumSize", "must be 0 or more bytes, got -5")]
    [InlineData(""" "Compression": { "MinimumSize": "1KiB" } """, "$.Farms.web.Compression.MinimumSize", "expected a whole number")]
    [InlineData(""" "Compression": { "ContentTypes": ["text/html; charset=utf-8"] } """, "$.Farms.web.Compression.ContentTypes[0]", "is not a token")]
    [InlineData(""" "Compression": { "ContentTypes": ["text"] } """, "$.Farms.web.Compression.ContentTypes[0]", "is not a media type")]
    [InlineData(""" "Compression": { "ContentTypes": ["*/*"] } """, "$.Farms.web.Compression.ContentTypes[0]", "a wildcard type would compress images")]
    [InlineData(""" "Compression": { "ContentTypes": ["application/x*"] } """, "$.Farms.web.Compression.ContentTypes[0]", "the subtype \"x*\" is not")]
    [InlineData(""" "Compression": { "ContentTypes": [] } """, "$.Farms.web.Compression.ContentTypes", "lists no media type")]
    [InlineData(""" "Compression": { "Level": 5 } """, "$.Farms.web.Compression.Level", "unknown key 'Level' (expected one of: Enabled, Encodings, MinimumSize, BrotliQuality, GzipLevel, ContentTypes)")]
    [InlineData(""" "Compression": true """, "$.Farms.web.Compression", "expected an object")]
    [InlineData(""" "Protocol": "Tcp", "Compression": {} """, "$.Farms.web.Compression", "a TCP farm relays bytes")]
    public void Farm_errors(string farm, string path, string reason)
        => AssertError($$"""{ "Farms": { "web": { "Servers": [], {{farm}} } } }""", path, reason);

    [Theory]
    [InlineData("""{ "Encodings": ["zstd"] }""", "$.Routes[0].Compression.Encodings[0]", "unknown encoding \"zstd\"")]
    [InlineData("""{ "GzipLevel": 10 }""", "$.Routes[0].Compression.GzipLevel", "must be 1-9, got 10")]
    [InlineData("""{ "ContentTypes": ["application/*+"] }""", "$.Routes[0].Compression.ContentTypes[0]", "the subtype \"*+\" is not")]
    public void Route_errors(string compression, string path, string reason)
        => AssertError($$"""{ "Farms": { "web": { "Servers": [] } }, "Routes": [ { "Farm": "web", "Compression": {{compression}} } ] }""", path, reason);

    [Fact]
    public void An_empty_object_turns_compression_on_with_the_defaults_and_a_route_replaces_the_farm_s_whole()
    {
        var config = BalancerConfigLoader.Parse("""
            { "Farms": { "web": { "Servers": [], "Compression": {} } },
              "Routes": [ { "Farm": "web" }, { "Path": "/api", "Farm": "web", "Compression": { "Encodings": ["gzip"], "GzipLevel": 6 } } ] }
            """);
        var farm = config.Farms["web"].Compression!;
        Assert.True(farm.Enabled);
        Assert.Equal(["br", "gzip"], farm.Encodings);
        Assert.Equal(1024, farm.MinimumSize);
        Assert.Contains("text/*", farm.ContentTypes);
        Assert.Null(config.Routes[0].Compression);
        var route = config.Routes[1].Compression!;
        Assert.Equal(["gzip"], route.Encodings);
        Assert.Equal(6, route.GzipLevel);
        Assert.Equal(farm.BrotliQuality, route.BrotliQuality);
        Assert.Equal(farm.ContentTypes, route.ContentTypes);
    }

    private static void AssertError(string json, string path, string reason)
    {
        var ex = Assert.Throws<ConfigException>(() => BalancerConfigLoader.Parse(json, "f.json"));
        Assert.True(ex.Errors.Any(e => e.Path == path && e.Reason.Contains(reason, StringComparison.Ordinal)), string.Join("\n", ex.Errors.Select(e => $"{e.Path}: {e.Reason}")));
    }
}
