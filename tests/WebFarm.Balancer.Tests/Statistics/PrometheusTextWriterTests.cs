using WebFarm.Balancer.Farms;
using WebFarm.Balancer.Statistics;

namespace WebFarm.Balancer.Tests.Statistics;

public class PrometheusTextWriterTests
{
    [Fact]
    public void Output_parses_strictly_and_carries_the_counters()
    {
        var (web, api) = TwoFarms();

        var text = PrometheusTextWriter.Write([web, api]);
        var parsed = PrometheusTextParser.Parse(text);

        Assert.Equal("counter", parsed.Types["webfarm_server_requests_total"]);
        Assert.Equal("gauge", parsed.Types["webfarm_server_in_flight"]);
        Assert.Equal(3, parsed.Value("webfarm_server_requests_total", ("farm", "web"), ("server", "web1"), ("status_class", "2xx")));
        Assert.Equal(1, parsed.Value("webfarm_server_requests_total", ("farm", "web"), ("server", "web1"), ("status_class", "5xx")));
        Assert.Equal(0, parsed.Value("webfarm_server_requests_total", ("farm", "web"), ("server", "web1"), ("status_class", "4xx")));
        Assert.Equal(1, parsed.Value("webfarm_server_transport_failures_total", ("farm", "web"), ("server", "web2")));
        Assert.Equal(400, parsed.Value("webfarm_server_bytes_out_total", ("farm", "web"), ("server", "web1")));
        Assert.Equal(2, parsed.Value("webfarm_server_in_flight", ("farm", "web"), ("server", "web2")));
        Assert.Equal(5, parsed.Value("webfarm_server_weight", ("farm", "web"), ("server", "web2")));
        Assert.Equal(0, parsed.Value("webfarm_server_healthy", ("farm", "web"), ("server", "web2")));
        Assert.Equal(1, parsed.Value("webfarm_server_state", ("server", "web2"), ("state", "draining")));
        Assert.Equal(0, parsed.Value("webfarm_server_state", ("server", "web2"), ("state", "online")));
        Assert.Equal(7, parsed.Value("webfarm_farm_no_server_available_total", ("farm", "web")));
        Assert.InRange(parsed.Value("webfarm_server_response_time_seconds", ("farm", "web"), ("server", "web1"), ("quantile", "0.99")), 0.38, 0.42);
    }

    [Fact]
    public void Label_values_are_escaped_and_round_trip()
    {
        // Farm and server names come from the config file: quotes, backslashes and newlines must not break lines.
        const string Farm = "we\"ird\\farm\nname";
        var server = new ServerRuntime(Farm, "a\"b", new Uri("http://127.0.0.1:1/"), 1, backup: false);
        server.Statistics.RecordResponse(200, TimeSpan.FromMilliseconds(1), 0, 0);
        var snapshot = new FarmStatistics(Farm).Snapshot([server]);

        var text = PrometheusTextWriter.Write([snapshot]);
        var parsed = PrometheusTextParser.Parse(text);

        Assert.Contains("farm=\"we\\\"ird\\\\farm\\nname\"", text);
        Assert.Equal(1, parsed.Value("webfarm_server_requests_total", ("farm", Farm), ("server", "a\"b"), ("status_class", "2xx")));
    }

    [Fact]
    public void Every_family_has_help_and_type_before_its_samples()
    {
        var (web, api) = TwoFarms();
        var lines = PrometheusTextWriter.Write([web, api]).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        var typeCount = lines.Count(l => l.StartsWith("# TYPE ", StringComparison.Ordinal));
        var helpCount = lines.Count(l => l.StartsWith("# HELP ", StringComparison.Ordinal));
        Assert.Equal(typeCount, helpCount);
        Assert.True(typeCount >= 15, $"only {typeCount} families");
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var name = lines[i].Split(' ')[2];
                Assert.Equal($"# HELP {name}", string.Join(' ', lines[i - 1].Split(' ').Take(3)));
            }
        }
    }

    [Fact]
    public void No_farms_gives_families_without_samples_that_still_parse()
    {
        var parsed = PrometheusTextParser.Parse(PrometheusTextWriter.Write([]));
        Assert.Empty(parsed.Samples);
    }

    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(0.1, "0.1")]
    [InlineData(12345678901.0, "12345678901")]
    public void Values_use_the_formats_prometheus_reads(double value, string expected)
    {
        Assert.Equal(expected, PrometheusTextWriter.FormatValue(value));
    }

    private static (FarmStatisticsSnapshot Web, FarmStatisticsSnapshot Api) TwoFarms()
    {
        var web1 = new ServerRuntime("web", "web1", new Uri("http://127.0.0.1:1/"), 1, backup: false);
        var web2 = new ServerRuntime("web", "web2", new Uri("http://127.0.0.1:2/"), 5, backup: true)
        {
            State = ServerState.Draining,
            Healthy = false,
        };
        for (var i = 0; i < 3; i++)
        {
            web1.Statistics.RecordResponse(200, TimeSpan.FromMilliseconds(400), 10, 100);
        }

        web1.Statistics.RecordResponse(503, TimeSpan.FromMilliseconds(400), 0, 100);
        web2.Statistics.RecordTransportFailure(TimeSpan.FromSeconds(1));
        web2.IncrementInFlight();
        web2.IncrementInFlight();
        var webFarm = new FarmStatistics("web");
        for (var i = 0; i < 7; i++)
        {
            webFarm.RecordNoServerAvailable();
        }

        var api1 = new ServerRuntime("api", "web1", new Uri("http://127.0.0.1:3/"), 1, backup: false);
        api1.Statistics.RecordResponse(201, TimeSpan.FromMilliseconds(3), 0, 0);
        return (webFarm.Snapshot([web1, web2]), new FarmStatistics("api").Snapshot([api1]));
    }
}
