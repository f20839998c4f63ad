namespace WebFarm.Agent.Releases;

/// <summary>
/// Builds a directory from a manifest whose blobs are all in a <see cref="BlobStore"/>: every file is written under a
/// temporary sibling (<c>.incoming-NAME-…</c>) and the whole directory is renamed into place at the end, so the final
/// path either does not exist or holds the complete tree (a rename within one file system is atomic). What a crash
/// leaves behind is an <c>.incoming-</c> directory, removed by <see cref="RemoveLeftovers"/>.
/// </summary>
public static class StagedTree
{
    public const string IncomingPrefix = ".incoming-";

    /// <summary>Writes the tree and renames it to <paramref name="final"/>; false when <paramref name="final"/> already existed (left as it was).</summary>
    public static async Task<bool> BuildAsync(TreeManifest manifest, BlobStore blobs, string final, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(blobs);
        var parent = Path.GetDirectoryName(final) ?? throw new ArgumentException($"{final} has no parent directory", nameof(final));
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $"{IncomingPrefix}{Path.GetFileName(final)}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            foreach (var entry in manifest.Files)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var target = Path.Combine(staging, entry.Path);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                await using (var source = new FileStream(blobs.PathOf(entry.Sha256), FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan))
                await using (var destination = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
                {
                    await source.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
                }

                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(target, (UnixFileMode)entry.Mode);
                }
            }

            if (Directory.Exists(final))
            {
                Directory.Delete(staging, recursive: true);
                return false;
            }

            Directory.Move(staging, final);
            return true;
        }
        catch
        {
            TryDelete(staging);
            throw;
        }
    }

    /// <summary>Removes the <c>.incoming-</c> directories a crash or a killed transfer left in <paramref name="parent"/>.</summary>
    public static void RemoveLeftovers(string parent)
    {
        if (!Directory.Exists(parent))
        {
            return;
        }

        foreach (var leftover in Directory.EnumerateDirectories(parent, IncomingPrefix + "*"))
        {
            TryDelete(leftover);
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for RemoveLeftovers at the next start: an .incoming- directory is never taken for a tree.
        }
    }
}
