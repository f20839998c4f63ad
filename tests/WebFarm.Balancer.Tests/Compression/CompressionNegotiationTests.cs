using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace WebFarm.Balancer.Tests.Compression;

/// <summary>
/// Response compression through a real balancer and backend: which encoding each request gets (Accept-Encoding ×
/// content type × the server's own encoding × Range × no-transform × HEAD × size × status × upstream path), that the
/// decoded body is the server's, the header rules (Vary, ETag, Content-Length, Accept-Ranges), server-sent events
/// flushed through the encoder on both upstream paths, a route with compression off, and which adapter serves what.
/// </summary>
public sealed partial class CompressionNegotiationTests(CompressionFarm farm) : IClassFixture<CompressionFarm>
{
    /// <summary>name, method, Accept-Encoding (null: none), target, Range (null: none), expected Content-Encoding (null: none), Vary: Accept-Encoding expected.</summary>
    public static TheoryData<string, string, string?, string, string?, string?, bool> Table => new()
    {
        { "br preferred on a tie", "GET", "gzip, deflate, br", "/t", null, "br", true },
        { "gzip alone", "GET", "gzip", "/t", null, "gzip", true },
        { "q-values decide", "GET", "br;q=0.5, gzip;q=0.8", "/t", null, "gzip", true },
        { "x-gzip is gzip", "GET", "x-gzip", "/t", null, "gzip", true },
        { "star takes the first offered", "GET", "*", "/t", null, "br", true },
        { "star but br refused", "GET", "*, br;q=0", "/t", null, "gzip", true },
        { "identity refused", "GET", "gzip, identity;q=0", "/t", null, "gzip", true },
        { "identity preferred", "GET", "gzip;q=0.5, identity", "/t", null, null, true },
        { "every coding refused", "GET", "br;q=0, gzip;q=0", "/t", null, null, true },
        { "no Accept-Encoding", "GET", null, "/t", null, null, true },
        { "only unknown codings", "GET", "deflate, compress", "/t", null, null, true },
        { "a bad q-value is ignored", "GET", "br;q=2, gzip", "/t", null, "gzip", true },
        { "case and spaces", "GET", " GZIP ; Q=1 ,BR;q=0.1", "/t", null, "gzip", true },
        { "json", "GET", "br", "/t?type=application/json", null, "br", true },
        { "+json suffix", "GET", "br", "/t?type=application/problem%2Bjson", null, "br", true },
        { "svg", "GET", "br", "/t?type=image/svg%2Bxml", null, "br", true },
        { "javascript", "GET", "gzip", "/t?type=application/javascript", null, "gzip", true },
        { "png is not compressible", "GET", "br", "/t?type=image/png", null, null, false },
        { "no content type", "GET", "br", "/t?type=none", null, null, false },
        { "server encoded it", "GET", "br, gzip", "/t?enc=gzip", null, "gzip-from-server", false },
        { "server says identity", "GET", "br", "/t?enc=identity", null, "identity-from-server", false },
        { "below the minimum size", "GET", "br", "/t?size=1023", null, null, false },
        { "at the minimum size", "GET", "br", "/t?size=1024", null, "br", true },
        { "unknown length is compressed", "GET", "br", "/t?size=100&chunked=1", null, "br", true },
        { "long chunked body", "GET", "gzip", "/t?size=300000&chunked=1", null, "gzip", true },
        { "range request", "GET", "br", "/t", "bytes=0-9", null, false },
        { "no-transform", "GET", "br", "/t?cc=public,%20no-transform", null, null, false },
        { "HEAD", "HEAD", "br", "/t", null, null, false },
        { "404 page", "GET", "br", "/t?status=404", null, "br", true },
        { "204", "GET", "br", "/t?status=204", null, null, false },
        { "route with compression off", "GET", "br", "/plain/t", null, null, false },
        { "route offering gzip only", "GET", "br, gzip", "/gzip-only/t?size=10", null, "gzip", true },
        { "POST through SocketsHttpHandler", "POST", "br", "/t", null, "br", true },
        { "POST chunked", "POST", "gzip", "/t?size=70000&chunked=1", null, "gzip", true },
        { "POST png", "POST", "gzip", "/t?type=image/png", null, null, false },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public async Task Negotiation(string name, string method, string? acceptEncoding, string target, string? range, string? expected, bool vary)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), target);
        if (acceptEncoding is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
        }

        if (range is not null)
        {
            request.Headers.TryAddWithoutValidation("Range", range);
        }

        if (method == "POST")
        {
            request.Content = new StringContent("form=1");
        }

        // Headers only first: HttpClient reports the length of a buffered body as its Content-Length.
        using var response = await farm.Balancer.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var contentLength = response.Content.Headers.ContentLength;
        var encodings = response.Content.Headers.ContentEncoding.ToList();
        var varies = response.Headers.Vary.Any(v => v.Equals("Accept-Encoding", StringComparison.OrdinalIgnoreCase));
        var body = await response.Content.ReadAsByteArrayAsync();
        var context = $"{name}: {(int)response.StatusCode}, Content-Encoding [{string.Join(",", encodings)}], Vary [{string.Join(",", response.Headers.Vary)}]";

        switch (expected)
        {
            case "gzip-from-server" or "identity-from-server":
                // The server's encoding and body are passed on untouched.
                Assert.True(encodings.SequenceEqual([expected.Split('-')[0]]), context);
                Assert.Equal(CompressionFarm.Body(4096), Encoding.UTF8.GetString(body));
                break;
            case null:
                Assert.True(encodings.Count == 0, context);
                break;
            default:
                Assert.True(encodings.SequenceEqual([expected]), context);

                // The server's length is gone; Kestrel may state the compressed length of a body it sends at once.
                Assert.True(contentLength is null || contentLength == body.Length, $"{context}: Content-Length {contentLength} for {body.Length} bytes");
                Assert.False(response.Headers.Contains("Accept-Ranges"), context);
                break;
        }

        Assert.True(vary == varies, context);
        if (method == "HEAD" || (int)response.StatusCode == 204)
        {
            Assert.Empty(body);
        }
        else if (range is not null)
        {
            Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
            Assert.Equal(CompressionFarm.Body(4096)[..10], Encoding.UTF8.GetString(body));
        }
        else if (expected is null or "br" or "gzip")
        {
            var size = SizeOf(target);
            Assert.Equal(CompressionFarm.Body(size), CompressionFarm.Decode(body, expected));
            if (expected is not null && size >= 1024)
            {
                Assert.True(body.Length < size / 2, $"{context}: {body.Length} bytes for {size}");
            }
        }
    }

    [Fact]
    public async Task A_compressed_response_weakens_a_strong_ETag_merges_Vary_and_drops_Content_Length()
    {
        var compressed = await GetAsync("/t?etag=%22v1%22&vary=Cookie", "br");
        Assert.Equal("br", Assert.Single(compressed.Content.Headers.ContentEncoding));
        Assert.Equal("W/\"v1\"", compressed.Headers.ETag?.ToString());
        Assert.Equal(["Cookie", "Accept-Encoding"], compressed.Headers.Vary);
        Assert.NotEqual(4096, compressed.Content.Headers.ContentLength);
        Assert.False(compressed.Headers.Contains("Accept-Ranges"));

        var weak = await GetAsync("/t?etag=W/%22v1%22&vary=Accept-Encoding", "gzip");
        Assert.Equal("W/\"v1\"", weak.Headers.ETag?.ToString());
        Assert.Equal(["Accept-Encoding"], weak.Headers.Vary);

        var star = await GetAsync("/t?vary=*", "gzip");
        Assert.Equal(["*"], star.Headers.Vary);

        // The identity answer to a client without Accept-Encoding keeps the server's ETag, length and ranges, and says
        // that another Accept-Encoding would have changed it.
        var identity = await GetAsync("/t?etag=%22v1%22&vary=Cookie", null);
        Assert.Empty(identity.Content.Headers.ContentEncoding);
        Assert.Equal("\"v1\"", identity.Headers.ETag?.ToString());
        Assert.Equal(["Cookie", "Accept-Encoding"], identity.Headers.Vary);
        Assert.Equal(4096, identity.Content.Headers.ContentLength);
        Assert.Equal("bytes", Assert.Single(identity.Headers.GetValues("Accept-Ranges")));
    }

    [Theory]
    [InlineData("GET", "br")]
    [InlineData("GET", "gzip")]
    [InlineData("POST", "br")]
    [InlineData("POST", "gzip")]
    public async Task Server_sent_events_are_flushed_through_the_encoder_event_by_event(string method, string encoding)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), "/events");
        request.Headers.TryAddWithoutValidation("Accept-Encoding", encoding);
        if (method == "POST")
        {
            request.Content = new StringContent("subscribe");
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var response = await farm.Balancer.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
        Assert.Equal(encoding, Assert.Single(response.Content.Headers.ContentEncoding));
        await using var raw = await response.Content.ReadAsStreamAsync(deadline.Token);
        await using Stream decoder = encoding == "br"
            ? new System.IO.Compression.BrotliStream(raw, System.IO.Compression.CompressionMode.Decompress)
            : new System.IO.Compression.GZipStream(raw, System.IO.Compression.CompressionMode.Decompress);

        // The server holds its second event until the first one was decoded here: without a flush through the encoder
        // the first event would sit in it and this read would wait for the deadline.
        var text = await ReadUntilAsync(decoder, "data: one\n\n", deadline.Token);
        Assert.Equal("data: one\n\n", text);
        farm.SecondEvent.Release();
        text += await ReadUntilAsync(decoder, "data: two\n\n", deadline.Token);
        Assert.Equal("data: one\n\ndata: two\n\n", text);
        Assert.Equal(0, await decoder.ReadAsync(new byte[16], deadline.Token));
    }

    [Fact]
    public async Task Compressing_routes_are_served_by_Kestrel_and_other_routes_keep_the_front_end()
    {
        // A fresh connection each: the first request a front-end connection hands off goes to Kestrel for good.
        var before = await FrontEndCountersAsync();
        await GetOnNewConnectionAsync("/plain/t");
        var afterPlain = await FrontEndCountersAsync();
        Assert.Equal((before.Requests + 1, before.Handoffs), afterPlain);

        await GetOnNewConnectionAsync("/t");
        var afterCompressed = await FrontEndCountersAsync();
        Assert.Equal((afterPlain.Requests, afterPlain.Handoffs + 1), afterCompressed);
    }

    private static int SizeOf(string target)
    {
        var match = Regex.Match(target, "size=([0-9]+)");
        return match.Success ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 4096;
    }

    private static async Task<string> ReadUntilAsync(Stream stream, string suffix, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        var buffer = new byte[1024];
        while (!text.ToString().EndsWith(suffix, StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                break;
            }

            text.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        return text.ToString();
    }

    private async Task<HttpResponseMessage> GetAsync(string target, string? acceptEncoding)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, target);
        if (acceptEncoding is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
        }

        var response = await farm.Balancer.Client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private async Task GetOnNewConnectionAsync(string target)
    {
        using var client = new HttpClient { BaseAddress = farm.Balancer.Uri };
        using var request = new HttpRequestMessage(HttpMethod.Get, target);
        request.Headers.TryAddWithoutValidation("Accept-Encoding", "br");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await response.Content.ReadAsByteArrayAsync();
    }

    private async Task<(long Requests, long Handoffs)> FrontEndCountersAsync()
    {
        var metrics = await farm.Balancer.Admin.GetStringAsync("/metrics");
        return (Counter(metrics, "webfarm_frontend_requests_total"), Counter(metrics, "webfarm_frontend_handoffs_total"));
    }

    private static long Counter(string metrics, string name)
    {
        var match = Regex.Match(metrics, "^" + name + " ([0-9]+)$", RegexOptions.Multiline);
        Assert.True(match.Success, $"{name} not in /metrics");
        return long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }
}
