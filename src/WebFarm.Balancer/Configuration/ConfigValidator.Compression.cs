using WebFarm.Balancer.Compression;

namespace WebFarm.Balancer.Configuration;

/// <summary>The rules for response compression (<c>Compression</c> on a farm or a route; docs/configuration.md).</summary>
internal static partial class ConfigValidator
{
    private const int MaxBrotliQuality = 11;
    private const int MaxGzipLevel = 9;

    private static void ValidateCompression(CompressionOptions? compression, TrafficProtocol protocol, string path, Action<string, string> error)
    {
        if (compression is null)
        {
            return;
        }

        if (protocol == TrafficProtocol.Tcp)
        {
            error(path, "a TCP farm relays bytes; compression applies to HTTP responses");
            return;
        }

        if (compression.Encodings.Count == 0)
        {
            error(path + ".Encodings", "lists no encoding: use \"br\" and/or \"gzip\" (or \"Enabled\": false to turn compression off)");
        }

        var seen = new HashSet<ContentCoding>();
        for (var i = 0; i < compression.Encodings.Count; i++)
        {
            var name = compression.Encodings[i];
            if (!ContentCodingNames.TryParse(name, out var coding))
            {
                error($"{path}.Encodings[{i}]", $"unknown encoding \"{name}\" (expected \"br\" or \"gzip\")");
            }
            else if (!seen.Add(coding))
            {
                error($"{path}.Encodings[{i}]", $"\"{name}\" is listed twice");
            }
        }

        if (compression.MinimumSize < 0)
        {
            error(path + ".MinimumSize", $"must be 0 or more bytes, got {compression.MinimumSize}");
        }

        if (compression.BrotliQuality is < 0 or > MaxBrotliQuality)
        {
            error(path + ".BrotliQuality", $"must be 0-{MaxBrotliQuality}, got {compression.BrotliQuality}");
        }

        if (compression.GzipLevel is < 1 or > MaxGzipLevel)
        {
            error(path + ".GzipLevel", $"must be 1-{MaxGzipLevel}, got {compression.GzipLevel}");
        }

        if (compression.ContentTypes.Count == 0)
        {
            error(path + ".ContentTypes", "lists no media type, so nothing would be compressed (use \"Enabled\": false to turn compression off)");
        }

        for (var i = 0; i < compression.ContentTypes.Count; i++)
        {
            if (!MediaTypePattern.TryParse(compression.ContentTypes[i], out _, out var why))
            {
                error($"{path}.ContentTypes[{i}]", why);
            }
        }
    }
}
