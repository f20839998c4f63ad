namespace WebFarm.Balancer.Configuration;

/// <summary>
/// Response compression by the balancer (docs/configuration.md, "Compression"): on a farm (every route to it) or on a
/// route (replacing the farm's settings whole). Brotli and gzip for compressible content types the server sent
/// uncompressed, when the client accepts them.
/// </summary>
public sealed record CompressionOptions
{
    /// <summary>The encodings the balancer produces, most preferred first (the client's q-values decide first; ties go to the earlier one).</summary>
    public static readonly IReadOnlyList<string> DefaultEncodings = ["br", "gzip"];

    /// <summary>Text-like types that compress well; images, video, archives and fonts in woff/woff2 are compressed already.</summary>
    public static readonly IReadOnlyList<string> DefaultContentTypes =
    [
        "text/*",
        "application/json",
        "application/*+json",
        "application/javascript",
        "application/xml",
        "application/*+xml",
        "image/svg+xml",
        "application/wasm",
        "font/ttf",
        "font/otf",
    ];

    /// <summary>False turns compression off (a route's <c>{"Enabled": false}</c> switches off its farm's).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>"br" and/or "gzip", in the order of preference.</summary>
    public IReadOnlyList<string> Encodings { get; init; } = DefaultEncodings;

    /// <summary>Bodies with a Content-Length below this many bytes are sent as they are (a body of unknown length is compressed).</summary>
    public int MinimumSize { get; init; } = 1024;

    /// <summary>Brotli quality 0-11; 2 is the knee of the CPU-per-MB measurement in docs/benchmarks.md ("Compression").</summary>
    public int BrotliQuality { get; init; } = 2;

    /// <summary>gzip (zlib) level 1-9; 1 (nginx's default too) by the CPU-per-MB measurement in docs/benchmarks.md ("Compression").</summary>
    public int GzipLevel { get; init; } = 1;

    /// <summary>Media types to compress: "type/subtype", "type/*" or "type/*+suffix", without parameters.</summary>
    public IReadOnlyList<string> ContentTypes { get; init; } = DefaultContentTypes;
}
