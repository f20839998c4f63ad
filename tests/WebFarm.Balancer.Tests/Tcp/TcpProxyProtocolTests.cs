using System.Net;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Tcp;

/// <summary>
/// The PROXY protocol header towards the servers, parsed by a real peer: nginx with <c>listen ... proxy_protocol</c>
/// answers with the client address and port it read from the header.
/// </summary>
public sealed class TcpProxyProtocolTests
{
    private const string EchoProxyAddress = """
        server {
            listen 127.0.0.1:{PORT} proxy_protocol;
            location / { return 200 "client=$proxy_protocol_addr:$proxy_protocol_port"; }
        }
        """;

    [Theory]
    [InlineData(ProxyProtocolVersion.V1)]
    [InlineData(ProxyProtocolVersion.V2)]
    public async Task The_server_reads_the_client_address_from_the_header(ProxyProtocolVersion version)
    {
        await using var nginx = await NginxServer.StartAsync(EchoProxyAddress);
        await using var balancer = await TestBalancer.StartAsync(TcpFarm.Config([$"tcp://127.0.0.1:{nginx.Port}"], f => f with { ProxyProtocol = version }));

        using var client = await TcpTestClient.ConnectAsync(balancer.EndPoint(), IPAddress.Parse("127.0.0.77"));
        await client.SendAsync("GET / HTTP/1.0\r\nHost: test\r\n\r\n");
        var response = await client.ReadToEndAsync();

        var port = ((IPEndPoint)client.Socket.LocalEndPoint!).Port;
        Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
        Assert.EndsWith($"client=127.0.0.77:{port}", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_the_header_a_proxy_protocol_server_refuses_the_connection()
    {
        await using var nginx = await NginxServer.StartAsync(EchoProxyAddress);
        await using var balancer = await TestBalancer.StartAsync(TcpFarm.Config([$"tcp://127.0.0.1:{nginx.Port}"]));

        using var client = await TcpTestClient.ConnectAsync(balancer.EndPoint(), IPAddress.Parse("127.0.0.77"));
        await client.SendAsync("GET / HTTP/1.0\r\nHost: test\r\n\r\n");
        Assert.DoesNotContain("client=", await client.ReadToEndAsync(), StringComparison.Ordinal);
    }
}
