using System.IO.Compression;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Forwarding.Headers;

namespace WebFarm.Balancer.Compression;

/// <summary>
/// A route's <see cref="CompressionOptions"/> prepared once per configuration snapshot: the offered codings in order,
/// the parsed media types, the levels. Decides per response whether the body may be transformed (RFC 9110 8.4,
/// 9111 5.2.2.6) and makes the encoder.
/// </summary>
internal sealed class CompressionPolicy
{
    private readonly MediaTypePattern[] _types;
    private readonly int _brotliQuality;
    private readonly int _gzipLevel;

    private CompressionPolicy(ContentCoding[] codings, MediaTypePattern[] types, int minimumSize, int brotliQuality, int gzipLevel)
    {
        Codings = codings;
        _types = types;
        MinimumSize = minimumSize;
        _brotliQuality = brotliQuality;
        _gzipLevel = gzipLevel;
    }

    /// <summary>The codings offered, most preferred first.</summary>
    public ContentCoding[] Codings { get; }

    public int MinimumSize { get; }

    /// <summary>The policy of a route (its own options, else its farm's); null when compression is off. The options were validated.</summary>
    public static CompressionPolicy? From(CompressionOptions? options)
    {
        if (options is not { Enabled: true })
        {
            return null;
        }

        var codings = new List<ContentCoding>();
        foreach (var name in options.Encodings)
        {
            if (ContentCodingNames.TryParse(name, out var coding) && !codings.Contains(coding))
            {
                codings.Add(coding);
            }
        }

        var types = new List<MediaTypePattern>();
        foreach (var text in options.ContentTypes)
        {
            if (MediaTypePattern.TryParse(text, out var pattern, out _))
            {
                types.Add(pattern);
            }
        }

        return codings.Count == 0 ? null : new CompressionPolicy([.. codings], [.. types], options.MinimumSize, options.BrotliQuality, options.GzipLevel);
    }

    /// <summary>
    /// Whether the request may get a compressed answer at all: never for HEAD (its headers would describe a body that is
    /// not sent) or Range requests (ranges address the identity body; RFC 9110 14.1.2).
    /// </summary>
    public static bool AppliesTo(HttpRequest request)
        => !HttpMethods.IsHead(request.Method) && request.Headers.Range.Count == 0;

    /// <summary>
    /// Whether the server's response is one the balancer may compress, whatever the client accepts: a status with a
    /// body (not 1xx, 204, 205, 206, 304), no Content-Encoding (already encoded, even "identity", is left alone), no
    /// Content-Range, no Cache-Control no-transform, a configured content type, and a length that is unknown or at
    /// least <see cref="MinimumSize"/>.
    /// </summary>
    public bool Eligible(HttpResponse response)
    {
        var status = response.StatusCode;
        if (status < 200 || status is StatusCodes.Status204NoContent or StatusCodes.Status205ResetContent or StatusCodes.Status206PartialContent or StatusCodes.Status304NotModified)
        {
            return false;
        }

        var headers = response.Headers;
        if (headers.ContentEncoding.Count != 0 || headers.ContentRange.Count != 0 || HasNoTransform(headers.CacheControl))
        {
            return false;
        }

        if (response.ContentLength is long length && (length == 0 || length < MinimumSize))
        {
            return false;
        }

        return MatchesType(headers.ContentType);
    }

    /// <summary>A new encoder writing to <paramref name="output"/> (left open).</summary>
    public Stream CreateEncoder(ContentCoding coding, Stream output)
        => coding == ContentCoding.Brotli
            ? new BrotliStream(output, new BrotliCompressionOptions { Quality = _brotliQuality }, leaveOpen: true)
            : new GZipStream(output, new ZLibCompressionOptions { CompressionLevel = _gzipLevel }, leaveOpen: true);

    private static bool HasNoTransform(StringValues cacheControl)
    {
        foreach (var value in cacheControl)
        {
            if (HeaderNames.ListContains(value, "no-transform"))
            {
                return true;
            }
        }

        return false;
    }

    private bool MatchesType(StringValues contentType)
    {
        if (contentType.Count != 1 || contentType[0] is not { } value)
        {
            return false;
        }

        var media = value.AsSpan();
        var semicolon = media.IndexOf(';');
        if (semicolon >= 0)
        {
            media = media[..semicolon];
        }

        media = media.Trim(" \t");
        var slash = media.IndexOf('/');
        if (slash <= 0)
        {
            return false;
        }

        var type = media[..slash];
        var subtype = media[(slash + 1)..];
        foreach (var pattern in _types)
        {
            if (pattern.Matches(type, subtype))
            {
                return true;
            }
        }

        return false;
    }
}
