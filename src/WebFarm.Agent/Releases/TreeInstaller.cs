using System.Globalization;
using WebFarm.Balancer.Configuration;

namespace WebFarm.Agent.Releases;

/// <summary>
/// The agent's release store, under its data directory:
/// <c>blobs/</c> (every file fetched, by SHA-256), <c>releases/APP/ID/</c> (one directory per installed release) and
/// <c>content/SET</c> (a symbolic link to <c>content/.versions/SET/VERSION/</c>). Installing checks the manifest against
/// <see cref="ManifestRules"/> and this agent's limits before anything is fetched or written, fetches only the blobs
/// it lacks (each verified against its SHA-256), and builds the tree with <see cref="StagedTree"/>, so a release
/// directory that exists is complete. A content set is swapped by replacing its link in one rename.
/// </summary>
public sealed class TreeInstaller
{
    public const string ReleaseKind = "release";
    public const string ContentKind = "content";

    /// <summary>Beside each tree, the names of the blobs it was built from (<c>releases/APP/ID.blobs</c>): what keeps a blob.</summary>
    private const string BlobListSuffix = ".blobs";

    /// <summary>Blobs fetched at once: enough to hide a round trip per small file (a 1,000-file set), few enough not to crowd the controller.</summary>
    private const int ParallelFetches = 4;

    private readonly TreeLimits _limits;
    private readonly ITreeSource _source;
    private long _bytesFetched;
    private long _blobsFetched;

    public TreeInstaller(string dataDirectory, TreeLimits limits, ITreeSource source)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(source);
        _limits = limits;
        _source = source;
        Blobs = new BlobStore(Path.Combine(dataDirectory, "blobs"));
        ReleasesDirectory = Path.Combine(dataDirectory, "releases");
        ContentDirectory = Path.Combine(dataDirectory, "content");
        Directory.CreateDirectory(ReleasesDirectory);
        Directory.CreateDirectory(VersionsDirectory);
        foreach (var app in Directory.EnumerateDirectories(ReleasesDirectory))
        {
            StagedTree.RemoveLeftovers(app);
        }

        foreach (var set in Directory.EnumerateDirectories(VersionsDirectory))
        {
            StagedTree.RemoveLeftovers(set);
        }

        // New links a crash left before their rename.
        foreach (var link in Directory.EnumerateFileSystemEntries(ContentDirectory, StagedTree.IncomingPrefix + "*"))
        {
            File.Delete(link);
        }
    }

    public BlobStore Blobs { get; }

    public string ReleasesDirectory { get; }

    public string ContentDirectory { get; }

    /// <summary>Bytes of blobs fetched (and verified) since start.</summary>
    public long BytesFetched => Interlocked.Read(ref _bytesFetched);

    public long BlobsFetched => Interlocked.Read(ref _blobsFetched);

    private string VersionsDirectory => Path.Combine(ContentDirectory, ".versions");

    public string ReleasePath(string app, long id) => Path.Combine(ReleasesDirectory, app, id.ToString(CultureInfo.InvariantCulture));

    /// <summary>The path apps read a content set from (a link to its current version).</summary>
    public string ContentPath(string set) => Path.Combine(ContentDirectory, set);

    /// <summary>Installs release <paramref name="id"/> of <paramref name="app"/> unless it is already there.</summary>
    /// <exception cref="TreeRefusedException">The manifest breaks a rule or a limit, or a blob is not what it names; nothing is installed.</exception>
    public async Task InstallReleaseAsync(string app, long id, CancellationToken cancellationToken)
    {
        CheckName(app, "app");
        var final = ReleasePath(app, id);
        if (Directory.Exists(final))
        {
            return;
        }

        var manifest = await _source.GetManifestAsync(ReleaseKind, app, id, cancellationToken).ConfigureAwait(false);
        await FetchAsync(manifest, cancellationToken).ConfigureAwait(false);
        await StagedTree.BuildAsync(manifest, Blobs, final, cancellationToken).ConfigureAwait(false);
        WriteBlobList(final, manifest);
    }

    /// <summary>Makes <paramref name="version"/> the content of <paramref name="set"/>: built beside the current one, then swapped in by one rename of the link.</summary>
    /// <exception cref="TreeRefusedException">As for a release; the current version stays.</exception>
    public async Task InstallContentAsync(string set, long version, CancellationToken cancellationToken)
    {
        CheckName(set, "content set");
        if (CurrentContentVersion(set) == version)
        {
            return;
        }

        var manifest = await _source.GetManifestAsync(ContentKind, set, version, cancellationToken).ConfigureAwait(false);
        await FetchAsync(manifest, cancellationToken).ConfigureAwait(false);
        var versions = Path.Combine(VersionsDirectory, set);
        var name = version.ToString(CultureInfo.InvariantCulture);
        await StagedTree.BuildAsync(manifest, Blobs, Path.Combine(versions, name), cancellationToken).ConfigureAwait(false);
        WriteBlobList(Path.Combine(versions, name), manifest);

        // One rename replaces the old link: a reader opens the old version or the new one, never a mix.
        LinkSwap.Point(ContentPath(set), Path.Combine(".versions", set, name));

        // Older versions go once nothing new can open them (a reader that opened a file keeps it until it closes it).
        foreach (var old in Directory.EnumerateDirectories(versions))
        {
            if (!string.Equals(Path.GetFileName(old), name, StringComparison.Ordinal))
            {
                Directory.Delete(old, recursive: true);
                File.Delete(old + BlobListSuffix);
            }
        }
    }

    /// <summary>
    /// Deletes the installed releases that are in neither list (the controller keeps a release in <paramref name="keep"/>
    /// while it keeps it or a server may run it), then the blobs no remaining release or content version was built from.
    /// A blob is only a copy kept to build later trees without fetching it again, so losing one costs a fetch, never a tree.
    /// </summary>
    /// <returns>The releases deleted.</returns>
    public int Prune(IReadOnlyList<TreeRef> keep, IReadOnlyList<TreeRef> wanted)
    {
        var removed = 0;
        foreach (var release in InstalledReleases())
        {
            if (keep.Contains(release) || wanted.Contains(release))
            {
                continue;
            }

            // An instance still stopping from it keeps the files it opened (Linux frees them when they are closed).
            var path = ReleasePath(release.Name, release.Id);
            Directory.Delete(path, recursive: true);
            File.Delete(path + BlobListSuffix);
            removed++;
        }

        if (removed > 0)
        {
            PruneBlobs();
        }

        return removed;
    }

    private void PruneBlobs()
    {
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var root in new[] { ReleasesDirectory, VersionsDirectory })
        {
            foreach (var list in Directory.EnumerateFiles(root, "*" + BlobListSuffix, SearchOption.AllDirectories))
            {
                referenced.UnionWith(File.ReadLines(list));
            }
        }

        foreach (var file in Directory.EnumerateFiles(Blobs.Root, "*", SearchOption.AllDirectories))
        {
            var name = Path.GetFileName(file);
            if (ManifestRules.IsSha256(name) && !referenced.Contains(name))
            {
                File.Delete(file);
            }
        }
    }

    private static void WriteBlobList(string tree, TreeManifest manifest)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in manifest.Files)
        {
            names.Add(entry.Sha256);
        }

        File.WriteAllLines(tree + BlobListSuffix, names);
    }

    /// <summary>The releases whose directories exist (each complete: they appear only by rename).</summary>
    public List<TreeRef> InstalledReleases()
    {
        var list = new List<TreeRef>();
        foreach (var app in Directory.EnumerateDirectories(ReleasesDirectory))
        {
            foreach (var release in Directory.EnumerateDirectories(app))
            {
                if (long.TryParse(Path.GetFileName(release), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                {
                    list.Add(new TreeRef(Path.GetFileName(app), id));
                }
            }
        }

        return list;
    }

    /// <summary>Each content set's current version.</summary>
    public List<TreeRef> InstalledContent()
    {
        var list = new List<TreeRef>();
        foreach (var set in Directory.EnumerateDirectories(VersionsDirectory))
        {
            var name = Path.GetFileName(set);
            if (CurrentContentVersion(name) is { } version)
            {
                list.Add(new TreeRef(name, version));
            }
        }

        return list;
    }

    private long? CurrentContentVersion(string set)
    {
        var target = new FileInfo(ContentPath(set)).LinkTarget;
        return target is not null && long.TryParse(Path.GetFileName(target), NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : null;
    }

    private async Task FetchAsync(TreeManifest manifest, CancellationToken cancellationToken)
    {
        // Every rule and limit first: a refused tree fetches and writes nothing.
        ManifestRules.Check(manifest, _limits);
        var missing = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var entry in manifest.Files)
        {
            if (!Blobs.Contains(entry.Sha256))
            {
                missing.TryAdd(entry.Sha256, entry.Size);
            }
        }

        await Parallel.ForEachAsync(missing, new ParallelOptions { MaxDegreeOfParallelism = ParallelFetches, CancellationToken = cancellationToken }, async (blob, ct) =>
        {
            await using var stream = await _source.OpenBlobAsync(blob.Key, ct).ConfigureAwait(false);
            var bytes = await Blobs.WriteAsync(blob.Key, blob.Value, _limits.MaxFileBytes, stream, ct).ConfigureAwait(false);
            Interlocked.Add(ref _bytesFetched, bytes);
            Interlocked.Increment(ref _blobsFetched);
        }).ConfigureAwait(false);
    }

    /// <summary>An app or content set name: the balancer's name rule, and no leading '.' (that would be '..', or the store's own .incoming-/.versions).</summary>
    public static bool IsValidTreeName(string? name) => ConfigValidator.IsValidName(name) && name![0] != '.';

    private static void CheckName(string name, string what)
    {
        if (!IsValidTreeName(name))
        {
            throw new TreeRefusedException($"{what} '{name}' must be 1-64 characters of letters, digits, '-', '_' or '.', not starting with '.'");
        }
    }
}
