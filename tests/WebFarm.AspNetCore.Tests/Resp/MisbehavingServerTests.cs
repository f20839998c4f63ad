using System.Net;
using System.Net.Sockets;
using System.Text;
using WebFarm.AspNetCore.Resp;

namespace WebFarm.AspNetCore.Tests.Resp;

/// <summary>A server that answers garbage or hangs up mid-reply: the client reports it and recovers, never hangs.</summary>
public sealed class MisbehavingServerTests
{
    [Theory]
    [InlineData("!not resp\r\n", "type byte")]
    [InlineData("$10\r\nshort", "closed the connection")]
    [InlineData("$3\r\nabcXY", "CRLF")]
    [InlineData("*2\r\n$1\r\na\r\n", "closed the connection")]
    public async Task Bad_replies_fail_the_command_with_a_clear_error(string reply, string expected)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serve = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            var buffer = new byte[1024];
            await socket.ReceiveAsync(buffer);
            await socket.SendAsync(Encoding.ASCII.GetBytes(reply));
            socket.Shutdown(SocketShutdown.Both);
        });

        var options = new RespClientOptions { ConnectionCount = 1, CommandTimeout = TimeSpan.FromSeconds(10) };
        options.EndPoints.Add($"127.0.0.1:{port}");
        await using var client = new RespClient(options);
        var error = await Assert.ThrowsAsync<RespConnectionException>(() => client.ExecuteAsync("GET", "k"));
        Assert.Contains(expected, error.Message);
        await serve.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
