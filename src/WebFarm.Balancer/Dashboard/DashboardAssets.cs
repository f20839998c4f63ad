using WebFarm.Balancer.LoadBalancing;

namespace WebFarm.Balancer.Dashboard;

/// <summary>
/// The dashboard's script and style sheet, embedded in the assembly (no CDN, no build chain: the product serves
/// everything the browser runs). Read once; served with an ETag so a browser revalidates instead of downloading.
/// The ETag is a <see cref="StableHash"/> of the bytes, not SHA-256: an ETag needs no collision resistance, and
/// SHA-256 here (built with the admin API at start-up) loaded OpenSSL's libcrypto into every balancer with an admin
/// listener, 3.4 MiB of resident memory (docs/benchmarks.md, "Native AOT").
/// </summary>
internal sealed class DashboardAssets
{
    private readonly Dictionary<string, (byte[] Bytes, string ContentType, string ETag)> _assets = new(StringComparer.Ordinal);

    public DashboardAssets()
    {
        Add("dashboard.js", "text/javascript; charset=utf-8");
        Add("dashboard.css", "text/css; charset=utf-8");
    }

    public bool TryGet(string name, out (byte[] Bytes, string ContentType, string ETag) asset) => _assets.TryGetValue(name, out asset);

    private void Add(string name, string contentType)
    {
        using var stream = typeof(DashboardAssets).Assembly.GetManifestResourceStream("WebFarm.Dashboard." + name)
            ?? throw new InvalidOperationException($"the dashboard asset {name} is not embedded in the build");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        var bytes = memory.ToArray();
        _assets[name] = (bytes, contentType, "\"" + StableHash.Hash(bytes).ToString("X16", System.Globalization.CultureInfo.InvariantCulture) + "\"");
    }
}
