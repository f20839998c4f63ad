using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Farms;
using WebFarm.Balancer.LoadBalancing;

namespace WebFarm.Balancer.Tests.Tcp;

/// <summary>TCP port rules in the configuration file: what parses, and each refusal with its JSON path and reason.</summary>
public sealed class TcpConfigTests
{
    private const string Db = """
        "db": { "Protocol": "Tcp", "Servers": [ { "Name": "pg1", "Address": "tcp://10.0.0.5:5432" } ] }
        """;

    private const string TcpListen = """
        { "Protocol": "Tcp", "Url": "0.0.0.0:7000-7010", "Farm": "db" }
        """;

    [Fact]
    public void A_port_rule_parses_with_its_defaults()
    {
        var config = BalancerConfigLoader.Parse($$"""
            { "Listen": [ "http://127.0.0.1:8080", { "Protocol": "Tcp", "Url": "tcp://0.0.0.0:7000-7010", "Farm": "db", "MaxConnections": 500 } ],
              "Farms": { {{Db}}, "web": { "Servers": [ { "Name": "w", "Address": "http://10.0.0.6:80" } ] } } }
            """);

        var tcp = config.Listen[1];
        Assert.Equal(TrafficProtocol.Tcp, tcp.Protocol);
        Assert.Equal("db", tcp.Farm);
        Assert.Equal(500, tcp.MaxConnections);
        Assert.Equal(TrafficProtocol.Http, config.Listen[0].Protocol);
        var db = config.Farms["db"];
        Assert.Equal(TrafficProtocol.Tcp, db.Protocol);
        Assert.Equal(ProxyProtocolVersion.None, db.ProxyProtocol);
        Assert.Equal(TrafficProtocol.Http, config.Farms["web"].Protocol);
    }

    [Theory]
    [InlineData($$"""{ "Listen": [ { "Protocol": "Tcp", "Url": "0.0.0.0:7000" } ], "Farms": { {{Db}} } }""", "$.Listen[0].Farm", "is required for a TCP listener: the farm its connections go to (TCP farms: db)")]
    [InlineData($$"""{ "Listen": [ { "Protocol": "Tcp", "Url": "0.0.0.0:7000", "Farm": "pg" } ], "Farms": { {{Db}} } }""", "$.Listen[0].Farm", "unknown farm 'pg' (TCP farms: db)")]
    [InlineData("""{ "Listen": [ { "Protocol": "Tcp", "Url": "0.0.0.0:7000", "Farm": "web" } ], "Farms": { "web": { "Servers": [] } } }""", "$.Listen[0].Farm", "farm 'web' is an HTTP farm")]
    [InlineData($$"""{ "Listen": [ { "Protocol": "Tcp", "Url": "0.0.0.0:7010-7000", "Farm": "db" } ], "Farms": { {{Db}} } }""", "$.Listen[0].Url", "must go from a lower to a higher port")]
    [InlineData($$"""{ "Listen": [ { "Protocol": "Tcp", "Url": "0.0.0.0:1000-3000", "Farm": "db" } ], "Farms": { {{Db}} } }""", "$.Listen[0].Url", "the range has 2001 ports; at most 1024")]
    [InlineData($$"""{ "Listen": [ { "Protocol": "Tcp", "Url": "0.0.0.0:70000", "Farm": "db" } ], "Farms": { {{Db}} } }""", "$.Listen[0].Url", "is not a port (0-65535)")]
    [InlineData($$"""{ "Listen": [ { "Protocol": "Tcp", "Url": "db.local:7000", "Farm": "db" } ], "Farms": { {{Db}} } }""", "$.Listen[0].Url", "not the host name 'db.local'")]
    [InlineData($$"""{ "Listen": [ { "Protocol": "Tcp", "Url": "0.0.0.0", "Farm": "db" } ], "Farms": { {{Db}} } }""", "$.Listen[0].Url", "needs a port or a port range")]
    [InlineData($$"""{ "Listen": [ {{TcpListen}}, { "Protocol": "Tcp", "Url": "127.0.0.1:7010-7020", "Farm": "db" } ], "Farms": { {{Db}} } }""", "$.Listen[1].Url", "shares a port with $.Listen[0]")]
    [InlineData($$"""{ "Listen": [ { "Protocol": "Tcp", "Url": "0.0.0.0:7000", "Farm": "db", "MaxConnections": -1 } ], "Farms": { {{Db}} } }""", "$.Listen[0].MaxConnections", "must be 0 (unlimited) or more")]
    [InlineData($$"""{ "Listen": [ { "Protocol": "Udp", "Url": "0.0.0.0:7000", "Farm": "db" } ], "Farms": { {{Db}} } }""", "$.Listen[0].Protocol", "\"Udp\" is not one of: Http, Tcp")]
    [InlineData($$"""{ "Listen": [ {{TcpListen}} ], "SocketEngine": "Sockets", "Farms": { {{Db}} } }""", "$.Listen[0].Protocol", "TCP listeners run on the epoll transport")]
    [InlineData("""{ "Listen": [ { "Url": "http://127.0.0.1:8080", "Farm": "web" } ], "Farms": { "web": { "Servers": [] } } }""", "$.Listen[0].Farm", "only a TCP listener (\"Protocol\": \"Tcp\") names a farm")]
    [InlineData("""{ "Listen": [ { "Url": "http://127.0.0.1:8080", "MaxConnections": 5 } ], "Farms": { "web": { "Servers": [] } } }""", "$.Listen[0].MaxConnections", "is a TCP listener setting")]
    [InlineData("""{ "Farms": { "db": { "Protocol": "Tcp", "LoadBalancing": "Hash", "HashKey": "path", "Servers": [] } } }""", "$.Farms.db.LoadBalancing", "Hash reads a header, cookie, path or query of an HTTP request")]
    [InlineData("""{ "Farms": { "db": { "Protocol": "Tcp", "LoadBalancing": "LeastResponseTime", "Servers": [] } } }""", "$.Farms.db.LoadBalancing", "use LeastRequests (the fewest open connections)")]
    [InlineData("""{ "Farms": { "db": { "Protocol": "Tcp", "Affinity": { "Mode": "Cookie" }, "Servers": [] } } }""", "$.Farms.db.Affinity.Mode", "Cookie needs HTTP")]
    [InlineData("""{ "Farms": { "db": { "Protocol": "Tcp", "Servers": [ { "Name": "a", "Address": "http://10.0.0.5:80" } ] } } }""", "$.Farms.db.Servers[0].Address", "servers of a TCP farm are tcp://host:port")]
    [InlineData("""{ "Farms": { "db": { "Protocol": "Tcp", "Servers": [ { "Name": "a", "Address": "tcp://10.0.0.5" } ] } } }""", "$.Farms.db.Servers[0].Address", "a TCP server is tcp://host:port, with a port and nothing after it")]
    [InlineData("""{ "Farms": { "db": { "Protocol": "Tcp", "Servers": [ { "Name": "a", "Address": "tcp://10.0.0.5:5432/x" } ] } } }""", "$.Farms.db.Servers[0].Address", "with a port and nothing after it")]
    [InlineData("""{ "Farms": { "web": { "Servers": [ { "Name": "a", "Address": "tcp://10.0.0.5:5432" } ] } } }""", "$.Farms.web.Servers[0].Address", "is a TCP server: set the farm's \"Protocol\": \"Tcp\"")]
    [InlineData("""{ "Farms": { "web": { "ProxyProtocol": "V2", "Servers": [] } } }""", "$.Farms.web.ProxyProtocol", "is for TCP farms")]
    [InlineData("""{ "Farms": { "db": { "Protocol": "Tcp", "ProxyProtocol": "V3", "Servers": [] } } }""", "$.Farms.db.ProxyProtocol", "\"V3\" is not one of: None, V1, V2")]
    [InlineData($$"""{ "Farms": { {{Db}}, "web": { "Servers": [] } }, "Routes": [ { "Farm": "db" } ] }""", "$.Routes[0].Farm", "farm 'db' is a TCP farm: routes send HTTP requests")]
    [InlineData("""{ "Farms": { "web": { "Servers": [], "Health": { "Type": "Ping" } } } }""", "$.Farms.web.Health.Type", "\"Ping\" is not one of: Auto, Http, Connect")]
    public void Refusals_name_the_path_and_the_reason(string json, string path, string reason)
    {
        var ex = Assert.Throws<ConfigException>(() => BalancerConfigLoader.Parse(json));
        Assert.Contains(ex.Errors, e => e.Path == path && e.Reason.Contains(reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Tcp_farms_do_not_count_towards_the_routes_rule_and_take_no_routes()
    {
        // One HTTP farm and two TCP farms: no routes needed, everything HTTP goes to the HTTP farm.
        var config = BalancerConfigLoader.Parse($$"""
            { "Listen": [ "http://127.0.0.1:8080", {{TcpListen}} ],
              "Farms": { {{Db}}, "cache": { "Protocol": "Tcp", "Servers": [] }, "web": { "Servers": [] } } }
            """);
        await using var runtime = new BalancerRuntime(config);
        Assert.Equal(1, runtime.Snapshot.Routes.Count); // without TCP farms skipped: one route per farm
    }

    [Fact]
    public async Task A_server_added_through_the_api_must_speak_its_farms_protocol()
    {
        var config = BalancerConfigLoader.Parse($$"""{ "Listen": [ {{TcpListen}} ], "Farms": { {{Db}} } }""");
        await using var runtime = new BalancerRuntime(config);

        var ex = Assert.Throws<ArgumentException>(() => runtime.AddServer("db", new ServerOptions { Name = "web", Address = "http://10.0.0.9:80" }));
        Assert.Contains("servers of a TCP farm are tcp://host:port", ex.Message, StringComparison.Ordinal);
        Assert.Equal("pg2", runtime.AddServer("db", new ServerOptions { Name = "pg2", Address = "tcp://10.0.0.9:5432" }).Name);
    }

    [Theory]
    [InlineData("0.0.0.0:7000", "0.0.0.0", 7000, 7000)]
    [InlineData("tcp://10.0.0.5:7000-7010", "10.0.0.5", 7000, 7010)]
    [InlineData("[::]:5432", "::", 5432, 5432)]
    [InlineData("*:25", "0.0.0.0", 25, 25)]
    [InlineData("localhost:0", "127.0.0.1", 0, 0)]
    public void Listen_addresses(string text, string address, int first, int last)
    {
        Assert.True(Balancer.Tcp.TcpListenAddress.TryParse(text, out var parsed, out var error), error);
        Assert.Equal(address, parsed.Address.ToString());
        Assert.Equal(first, parsed.FirstPort);
        Assert.Equal(last, parsed.LastPort);
    }

    [Fact]
    public void Policies_that_read_only_the_address_choose_for_connections()
    {
        Assert.IsAssignableFrom<IClientAddressPolicy>(LoadBalancingPolicyFactory.Create(LoadBalancingAlgorithm.ClientIp, null));
        Assert.IsAssignableFrom<IClientAddressPolicy>(LoadBalancingPolicyFactory.Create(LoadBalancingAlgorithm.ClientNetwork, null));
    }
}
