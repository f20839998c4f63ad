using System.Security.Cryptography;

namespace WebFarm.Agent.Releases;

/// <summary>
/// Files stored once by content: <c>ROOT/ab/abcdef…</c> named by their SHA-256. A blob is written to
/// <c>ROOT/.incoming/</c>, hashed while it is written, and renamed into place only when its size and hash are the ones
/// asked for, so a blob that exists is whole and correct (it was verified once, when it arrived). The controller keeps
/// every release's files here; each agent keeps the files it fetched, so it asks only for those it lacks.
/// </summary>
public sealed class BlobStore
{
    private const int CopyBufferBytes = 81920;
    private readonly string _incoming;

    public BlobStore(string root)
    {
        Root = Path.GetFullPath(root);
        _incoming = Path.Combine(Root, ".incoming");
        Directory.CreateDirectory(_incoming);

        // Blobs cut short by a crash or a killed transfer: never renamed, so never seen as blobs.
        foreach (var leftover in Directory.EnumerateFiles(_incoming))
        {
            File.Delete(leftover);
        }
    }

    public string Root { get; }

    public string PathOf(string sha256) => Path.Combine(Root, sha256[..2], sha256);

    public bool Contains(string sha256) => File.Exists(PathOf(sha256));

    /// <summary>Stores <paramref name="content"/> as blob <paramref name="sha256"/> if it is exactly that content.</summary>
    /// <returns>The bytes read from <paramref name="content"/>.</returns>
    /// <exception cref="TreeRefusedException">The content is longer than <paramref name="maxBytes"/>, or its size or hash is not the one asked for; nothing is stored.</exception>
    public async Task<long> WriteAsync(string sha256, long? expectedSize, long maxBytes, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (!ManifestRules.IsSha256(sha256))
        {
            throw new TreeRefusedException($"blob '{sha256}': not a SHA-256 (64 lowercase hex digits)");
        }

        var temporary = Path.Combine(_incoming, $"{sha256}.{Guid.NewGuid():N}");
        long written = 0;
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[CopyBufferBytes];
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    written += read;
                    if (written > maxBytes)
                    {
                        throw new TreeRefusedException($"blob {sha256}: more than the file size limit of {maxBytes} bytes");
                    }

                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
            }

            if (expectedSize is { } size && written != size)
            {
                throw new TreeRefusedException($"blob {sha256}: {written} bytes arrived where the manifest says {size}");
            }

            var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (!string.Equals(actual, sha256, StringComparison.Ordinal))
            {
                throw new TreeRefusedException($"blob {sha256}: the content's SHA-256 is {actual} (corrupt or not the file the manifest names)");
            }

            var final = PathOf(sha256);
            Directory.CreateDirectory(Path.GetDirectoryName(final)!);
            if (!OperatingSystem.IsWindows())
            {
                // Read-only: a blob is shared by every tree that holds its content.
                File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            }

            try
            {
                File.Move(temporary, final, overwrite: false);
            }
            catch (IOException) when (File.Exists(final))
            {
                // Another writer stored the same content first: the same bytes, so keep theirs.
                File.Delete(temporary);
            }

            return written;
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Removes a blob (no error when it is not there).</summary>
    public void Delete(string sha256)
    {
        var path = PathOf(sha256);
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    /// <summary>The SHA-256 of a file, as a blob name.</summary>
    public static async Task<string> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, CopyBufferBytes, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken).ConfigureAwait(false));
    }
}
