using WebFarm.Agent.Releases;

namespace WebFarm.Controller.Releases.Packaging;

/// <summary>
/// A release or content set read from the operator's disk: its manifest and, for each blob, a file holding it.
/// Archives and published projects are unpacked into a temporary directory, removed on dispose.
/// </summary>
public sealed class LocalPackage(TreeManifest manifest, IReadOnlyDictionary<string, string> sources, string? temporaryDirectory) : IDisposable
{
    public TreeManifest Manifest { get; } = manifest;

    /// <summary>SHA-256 → a file with that content.</summary>
    public IReadOnlyDictionary<string, string> Sources { get; } = sources;

    public void Dispose()
    {
        if (temporaryDirectory is not null && Directory.Exists(temporaryDirectory))
        {
            Directory.Delete(temporaryDirectory, recursive: true);
        }
    }
}
