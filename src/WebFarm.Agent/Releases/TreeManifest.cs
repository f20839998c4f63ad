namespace WebFarm.Agent.Releases;

/// <summary>The files of a release or a content set, as sent on the wire (<c>{"files": [...]}</c>).</summary>
public sealed record TreeManifest(IReadOnlyList<ManifestEntry> Files)
{
    /// <summary>The sum of the files' sizes.</summary>
    public long TotalSize()
    {
        long total = 0;
        foreach (var file in Files)
        {
            total += file.Size;
        }

        return total;
    }
}
