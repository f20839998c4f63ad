using System.Net;
using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Compression;

/// <summary>Compression for HTTP/2 clients (an h2c listener): Kestrel's HTTP/2 response body is replaced the same way.</summary>
public class CompressionHttp2Tests
{
    [Theory]
    [InlineData("br", "GET")]
    [InlineData("gzip", "POST")]
    public async Task An_HTTP2_client_gets_a_compressed_body_that_decodes_to_the_server_s(string encoding, string method)
    {
        var page = CompressionFarm.Body(20_000);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            if (HttpMethods.IsPost(context.Request.Method))
            {
                await context.Request.Body.CopyToAsync(Stream.Null);
            }

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(page);
        });
        var config = TestBalancer.SingleFarm([backend.Address], f => f with { Compression = new CompressionOptions() });
        await using var balancer = await TestBalancer.StartAsync(config, protocols: ListenProtocols.Http2);

        using var request = new HttpRequestMessage(new HttpMethod(method), "/data") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        request.Headers.TryAddWithoutValidation("Accept-Encoding", encoding);
        if (method == "POST")
        {
            request.Content = new StringContent("q=1");
        }

        using var response = await balancer.Client.SendAsync(request);
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(encoding, Assert.Single(response.Content.Headers.ContentEncoding));
        Assert.Contains("Accept-Encoding", response.Headers.Vary);
        Assert.Equal(page, CompressionFarm.Decode(await response.Content.ReadAsByteArrayAsync(), encoding));
    }
}
