using System.IO.Compression;
using System.Text;
using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Compression;

/// <summary>
/// One backend and one balancer shared by the compression tests: the farm compresses with the defaults, the route
/// "/plain" turns compression off, "/gzip-only" offers gzip alone with no minimum size. The backend shapes its answer
/// from the query: <c>size</c>, <c>type</c> ("none": no Content-Type), <c>enc</c> (a Content-Encoding of its own),
/// <c>cc</c> (Cache-Control), <c>etag</c>, <c>vary</c>, <c>status</c>, <c>chunked=1</c> (no Content-Length); a Range
/// request gets 206 with the first ten bytes. "/events" is a server-sent event stream that holds its second event
/// until the test releases it.
/// </summary>
public sealed class CompressionFarm : IAsyncLifetime
{
    public TestBackend Backend { get; private set; } = null!;

    public TestBalancer Balancer { get; private set; } = null!;

    /// <summary>Released by a test to let "/events" send its second event.</summary>
    public SemaphoreSlim SecondEvent { get; } = new(0);

    /// <summary>The backend's body of <paramref name="size"/> bytes: text that compresses, as HTML, JSON and scripts do.</summary>
    public static string Body(int size)
    {
        var text = new StringBuilder(size + 64);
        for (var i = 0; text.Length < size; i++)
        {
            text.Append("<li>item ").Append(i).Append(" of the compression table</li>\n");
        }

        return text.ToString(0, size);
    }

    /// <summary>Decodes a body the balancer encoded with <paramref name="encoding"/> (null: as it came).</summary>
    public static string Decode(byte[] body, string? encoding)
    {
        if (encoding is null)
        {
            return Encoding.UTF8.GetString(body);
        }

        using var input = new MemoryStream(body);
        using Stream decoder = encoding == "br" ? new BrotliStream(input, CompressionMode.Decompress) : new GZipStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        decoder.CopyTo(output);
        return Encoding.UTF8.GetString(output.ToArray());
    }

    public async Task InitializeAsync()
    {
        Backend = await TestBackend.StartAsync(ServeAsync);
        var config = TestBalancer.SingleFarm([Backend.Address], f => f with { Compression = new CompressionOptions() }) with
        {
            Routes =
            [
                new RouteOptions { Farm = "web" },
                new RouteOptions { Path = "/plain", Farm = "web", Compression = new CompressionOptions { Enabled = false } },
                new RouteOptions { Path = "/gzip-only", Farm = "web", Compression = new CompressionOptions { Encodings = ["gzip"], MinimumSize = 0 } },
            ],
        };
        Balancer = await TestBalancer.StartAsync(config);
    }

    public async Task DisposeAsync()
    {
        await Balancer.DisposeAsync();
        await Backend.DisposeAsync();
        SecondEvent.Dispose();
    }

    private async Task ServeAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        if (HttpMethods.IsPost(request.Method))
        {
            await request.Body.CopyToAsync(Stream.Null);
        }

        if (request.Path.StartsWithSegments("/events"))
        {
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-cache";
            await response.WriteAsync("data: one\n\n");
            await response.Body.FlushAsync();
            await SecondEvent.WaitAsync(TimeSpan.FromSeconds(30));
            await response.WriteAsync("data: two\n\n");
            return;
        }

        var query = request.Query;
        var size = int.Parse(query["size"].FirstOrDefault() ?? "4096", System.Globalization.CultureInfo.InvariantCulture);
        var body = Encoding.UTF8.GetBytes(Body(size));
        response.StatusCode = int.Parse(query["status"].FirstOrDefault() ?? "200", System.Globalization.CultureInfo.InvariantCulture);
        var type = query["type"].FirstOrDefault() ?? "text/html; charset=utf-8";
        if (type != "none")
        {
            response.ContentType = type;
        }

        foreach (var (key, header) in new[] { ("enc", "Content-Encoding"), ("cc", "Cache-Control"), ("etag", "ETag"), ("vary", "Vary") })
        {
            if (query[key].FirstOrDefault() is { } value)
            {
                response.Headers[header] = value;
            }
        }

        response.Headers.AcceptRanges = "bytes";
        if (response.StatusCode == StatusCodes.Status204NoContent)
        {
            return;
        }

        if (request.Headers.Range.Count > 0)
        {
            response.StatusCode = StatusCodes.Status206PartialContent;
            response.Headers.ContentRange = $"bytes 0-9/{body.Length}";
            body = body[..10];
        }

        if (query["chunked"] == "1")
        {
            await response.StartAsync();
        }
        else
        {
            response.ContentLength = body.Length;
        }

        if (!HttpMethods.IsHead(request.Method))
        {
            await response.Body.WriteAsync(body);
        }
    }
}
