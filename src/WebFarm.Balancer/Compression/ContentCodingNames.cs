namespace WebFarm.Balancer.Compression;

/// <summary>The tokens of <see cref="ContentCoding"/> in Accept-Encoding, Content-Encoding and the configuration.</summary>
internal static class ContentCodingNames
{
    public const string Brotli = "br";

    public const string Gzip = "gzip";

    /// <summary>The Content-Encoding value of <paramref name="coding"/> (not for Identity).</summary>
    public static string Of(ContentCoding coding) => coding == ContentCoding.Brotli ? Brotli : Gzip;

    /// <summary>A configured encoding name; false for anything but "br" and "gzip".</summary>
    public static bool TryParse(string name, out ContentCoding coding)
    {
        coding = name.ToLowerInvariant() switch
        {
            Brotli => ContentCoding.Brotli,
            Gzip => ContentCoding.Gzip,
            _ => ContentCoding.Identity,
        };
        return coding != ContentCoding.Identity;
    }
}
