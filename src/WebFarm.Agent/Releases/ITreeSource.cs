namespace WebFarm.Agent.Releases;

/// <summary>Where an agent gets manifests and blobs: the controller (<see cref="Control.ControllerClient"/>).</summary>
public interface ITreeSource
{
    /// <param name="kind">"release" or "content".</param>
    Task<TreeManifest> GetManifestAsync(string kind, string name, long id, CancellationToken cancellationToken);

    /// <summary>The blob's bytes as sent; the caller verifies them.</summary>
    Task<Stream> OpenBlobAsync(string sha256, CancellationToken cancellationToken);
}
