using System.Text;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.LoadBalancing;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Forwarding;

/// <summary>
/// Once a byte of a server's response reached the client, the request is never sent to another server, whatever the
/// retry settings: the client would get two responses spliced together. Both client paths, several servers, retries on.
/// </summary>
public sealed class RetryAfterResponseStartedTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_server_failing_after_its_first_response_bytes_reached_the_client_is_not_retried(bool frontEnd)
    {
        var clientGotBytes = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // web1 sends a head and part of a 100-byte body, waits until the client has read them, then drops the connection.
        await using var failing = new RawHttp.Server(async (stream, ct) =>
        {
            await RawHttp.ReadHeadAsync(stream, ct);
            await RawHttp.WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial");
            await clientGotBytes.Task.WaitAsync(ct);
        });
        await using var healthy = new RecordingBackend();
        await using var other = new RecordingBackend();
        var config = TestBalancer.SingleFarm([failing.Address, healthy.Address, other.Address], f => f with
        {
            LoadBalancing = LoadBalancingAlgorithm.First,
            Retries = new RetryOptions { MaxAttempts = 3 },
        }) with
        { Http1FrontEnd = frontEnd };
        await using var balancer = await TestBalancer.StartAsync(config);
        using var tcp = await RawHttp.ConnectAsync(balancer.Uri);
        var stream = tcp.GetStream();

        await RawHttp.WriteAsync(stream, "GET /once HTTP/1.1\r\nHost: t\r\n\r\n");
        var head = await RawHttp.ReadHeadAsync(stream);
        Assert.StartsWith("HTTP/1.1 200 OK", head, StringComparison.Ordinal);
        Assert.Equal("partial", await RawHttp.ReadExactlyAsync(stream, "partial".Length));
        clientGotBytes.TrySetResult();

        // The client sees the response cut short (the connection ends before the 100 bytes), never a second response.
        var rest = new MemoryStream();
        try
        {
            await stream.CopyToAsync(rest).WaitAsync(RawHttp.ResponseDeadline);
        }
        catch (IOException)
        {
            // Reset by the balancer: cut short as well.
        }

        Assert.True(rest.Length < 100 - "partial".Length, "the client got the rest of a response: " + Encoding.ASCII.GetString(rest.ToArray()));
        Assert.DoesNotContain("HTTP/1.1", Encoding.ASCII.GetString(rest.ToArray()), StringComparison.Ordinal);
        Assert.Empty(healthy.Requests);
        Assert.Empty(other.Requests);
        if (frontEnd)
        {
            Assert.Equal(1, balancer.Runtime.FrontEnd.Requests);
        }
        else
        {
            Assert.Equal(0, balancer.Runtime.FrontEnd.Requests);
        }
    }
}
