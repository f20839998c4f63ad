using System.Collections.Concurrent;
using System.Globalization;
using WebFarm.Agent.Releases;
using WebFarm.Balancer.Admin;
using WebFarm.Controller.Agents;

namespace WebFarm.Controller.Releases;

/// <summary>
/// The controller's releases and content sets, stored content-addressed under the data directory: a catalog of
/// manifests (<see cref="TreeCatalog"/>, releases.db) and every distinct file once (<see cref="BlobStore"/>, blobs/).
/// An upload asks which blobs are missing, sends only those (each verified against its hash on arrival), then creates
/// the tree, which gets the next number for its app or set. The last <see cref="KeepPerName"/> are kept; the blobs
/// only older ones used are removed. Agents learn from <see cref="Desired"/> what to hold (the newest release of every
/// app, the newest version of every content set) and report what they hold (<see cref="Report"/>).
/// </summary>
public sealed class ReleaseLibrary : IAsyncDisposable
{
    private readonly TreeCatalog _catalog;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _writer = new(1, 1);
    private readonly ConcurrentDictionary<string, SyncRequest> _reports = new(StringComparer.Ordinal);
    private SyncResponse _desired = new([], []);

    private ReleaseLibrary(TreeCatalog catalog, BlobStore blobs, int keepPerName, TreeLimits limits, TimeProvider time)
    {
        _catalog = catalog;
        Blobs = blobs;
        KeepPerName = keepPerName;
        Limits = limits;
        _time = time;
    }

    public BlobStore Blobs { get; }

    public int KeepPerName { get; }

    public TreeLimits Limits { get; }

    public TransferCounters Transfer { get; } = new();

    /// <exception cref="Microsoft.Data.Sqlite.SqliteException">releases.db cannot be opened.</exception>
    public static async Task<ReleaseLibrary> OpenAsync(string dataDirectory, int keepPerName, TreeLimits limits, TimeProvider? time, CancellationToken cancellationToken)
    {
        var catalog = await TreeCatalog.OpenAsync(Path.Combine(dataDirectory, TreeCatalog.FileName), cancellationToken).ConfigureAwait(false);
        var library = new ReleaseLibrary(catalog, new BlobStore(Path.Combine(dataDirectory, "blobs")), keepPerName, limits, time ?? TimeProvider.System);
        library.PublishDesired(await catalog.ListAsync(cancellationToken).ConfigureAwait(false));
        return library;
    }

    /// <summary>What every agent should hold (one immutable answer, replaced when a tree is created).</summary>
    public SyncResponse Desired() => Volatile.Read(ref _desired);

    /// <summary>
    /// What one agent should hold: <see cref="Desired"/> (the newest release of every app, every content set's newest
    /// version), the kept releases among <paramref name="placed"/> (what its server serves or may be asked to: a rollback's
    /// older release for a server that joined after it), and the list of kept releases, so it deletes the others.
    /// </summary>
    public SyncResponse DesiredFor(List<TreeRef> placed)
    {
        var desired = Volatile.Read(ref _desired);
        var kept = desired.Keep ?? [];
        var releases = new List<TreeRef>(desired.Releases);
        foreach (var release in placed)
        {
            // A placed release the library no longer keeps cannot be fetched; the agent keeps it while it is placed.
            if (!releases.Contains(release) && kept.Contains(release))
            {
                releases.Add(release);
            }
        }

        return desired with { Releases = releases, Keep = [.. kept.Concat(placed).Distinct()] };
    }

    /// <summary>Of <paramref name="hashes"/>, those with no blob here (each named once, in the order given).</summary>
    /// <exception cref="AdminRequestException">A hash is not a SHA-256.</exception>
    public List<string> Missing(IEnumerable<string?> hashes)
    {
        var missing = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var hash in hashes)
        {
            if (!ManifestRules.IsSha256(hash))
            {
                throw new AdminRequestException($"hashes: '{hash}' is not a SHA-256 (64 lowercase hex digits)");
            }

            if (seen.Add(hash!) && !Blobs.Contains(hash!))
            {
                missing.Add(hash!);
            }
        }

        return missing;
    }

    /// <summary>Stores an uploaded blob if its content hashes to <paramref name="sha256"/>.</summary>
    /// <exception cref="TreeRefusedException">Over the file size limit, or not that content; nothing is stored.</exception>
    public async Task StoreBlobAsync(string sha256, Stream content, CancellationToken cancellationToken)
    {
        var bytes = await Blobs.WriteAsync(sha256, expectedSize: null, Limits.MaxFileBytes, content, cancellationToken).ConfigureAwait(false);
        Transfer.Received(bytes);
    }

    /// <summary>Creates the next release of app <paramref name="name"/> (kind "release") or version of content set <paramref name="name"/> ("content").</summary>
    /// <exception cref="TreeRefusedException">The name or the manifest breaks a rule or a limit.</exception>
    /// <exception cref="AgentRefusal">409 when blobs it names have not been uploaded (the message names them).</exception>
    public async Task<TreeRecord> CreateAsync(string kind, string name, string? message, TreeManifest manifest, CancellationToken cancellationToken)
    {
        if (!TreeInstaller.IsValidTreeName(name))
        {
            throw new TreeRefusedException($"'{name}' must be 1-64 characters of letters, digits, '-', '_' or '.', not starting with '.'");
        }

        if (message is { Length: > 1000 })
        {
            throw new TreeRefusedException("message: at most 1000 characters");
        }

        ManifestRules.Check(manifest, Limits);
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var missing = Missing(manifest.Files.Select(f => f.Sha256));
            if (missing.Count > 0)
            {
                throw new AgentRefusal(409, $"{missing.Count} blob(s) the manifest names were not uploaded (PUT /api/blobs/SHA256 first): {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", ..." : string.Empty)}");
            }

            var all = await _catalog.ListAsync(cancellationToken).ConfigureAwait(false);
            var previous = all.FirstOrDefault(t => t.Kind == kind && t.Name == name);
            var previousManifest = previous is null ? null : await _catalog.GetManifestAsync(kind, name, previous.Id, cancellationToken).ConfigureAwait(false);
            var record = new TreeRecord(kind, name, (previous?.Id ?? 0) + 1, _time.GetUtcNow(), message, manifest.TotalSize(), manifest.Files.Count, Changed(previousManifest, manifest));
            await _catalog.AddAsync(record, manifest, cancellationToken).ConfigureAwait(false);
            await PruneAsync(kind, name, cancellationToken).ConfigureAwait(false);
            PublishDesired(await _catalog.ListAsync(cancellationToken).ConfigureAwait(false));
            return record;
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>The trees of one kind (and name, when given), newest first.</summary>
    public async Task<List<TreeRecord>> ListAsync(string kind, string? name, CancellationToken cancellationToken)
    {
        var list = await _catalog.ListAsync(cancellationToken).ConfigureAwait(false);
        list.RemoveAll(t => t.Kind != kind || (name is not null && t.Name != name));
        return list;
    }

    public Task<TreeManifest?> GetManifestAsync(string kind, string name, long id, CancellationToken cancellationToken)
        => _catalog.GetManifestAsync(kind, name, id, cancellationToken);

    /// <summary>Keeps what server <paramref name="server"/> reported holding and refusing.</summary>
    public void Report(string server, SyncRequest report) => _reports[server] = report;

    /// <summary>
    /// Why <paramref name="server"/> is not ready for load balancing yet as far as content goes: the newest version of a
    /// content set it does not hold (refused, or not fetched yet), or no sync report from it yet while there are content
    /// sets; null when it holds every one.
    /// </summary>
    public string? LacksContent(string server)
    {
        var content = Desired().Content;
        if (content.Count == 0)
        {
            return null;
        }

        if (!_reports.TryGetValue(server, out var report))
        {
            return "its agent has not reported its content sets yet";
        }

        foreach (var wanted in content)
        {
            if (!report.Content.Contains(wanted))
            {
                foreach (var failure in report.Failures)
                {
                    if (failure.Kind == TreeInstaller.ContentKind && failure.Name == wanted.Name && failure.Id == wanted.Id)
                    {
                        return string.Create(CultureInfo.InvariantCulture, $"its agent refused version {wanted.Id} of content set '{wanted.Name}': {failure.Reason}");
                    }
                }

                return string.Create(CultureInfo.InvariantCulture, $"version {wanted.Id} of content set '{wanted.Name}' is not installed on it yet");
            }
        }

        return null;
    }

    /// <summary>Which servers hold a tree, and which refused it (from their last reports).</summary>
    public TreePlacement PlacementOf(string kind, string name, long id)
    {
        var installed = new List<string>();
        var refused = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (server, report) in _reports)
        {
            var held = kind == TreeInstaller.ContentKind ? report.Content : report.Releases;
            if (held.Contains(new TreeRef(name, id)))
            {
                installed.Add(server);
            }

            foreach (var failure in report.Failures)
            {
                if (failure.Kind == kind && failure.Name == name && failure.Id == id)
                {
                    refused[server] = failure.Reason;
                }
            }
        }

        installed.Sort(StringComparer.Ordinal);
        return new TreePlacement(installed, refused);
    }

    public async ValueTask DisposeAsync()
    {
        await _catalog.DisposeAsync().ConfigureAwait(false);
        _writer.Dispose();
    }

    /// <summary>Files that are new, changed (content or mode) or gone compared with the tree before.</summary>
    private static int Changed(TreeManifest? before, TreeManifest after)
    {
        if (before is null)
        {
            return after.Files.Count;
        }

        var old = new Dictionary<string, ManifestEntry>(before.Files.Count, StringComparer.Ordinal);
        foreach (var entry in before.Files)
        {
            old[entry.Path] = entry;
        }

        var changed = 0;
        foreach (var entry in after.Files)
        {
            if (!old.Remove(entry.Path, out var was) || was.Sha256 != entry.Sha256 || was.Mode != entry.Mode)
            {
                changed++;
            }
        }

        return changed + old.Count;
    }

    /// <summary>Drops the trees of (kind, name) beyond the newest <see cref="KeepPerName"/>, and the blobs only they used.</summary>
    private async Task PruneAsync(string kind, string name, CancellationToken cancellationToken)
    {
        var all = await _catalog.ListAsync(cancellationToken).ConfigureAwait(false);
        var expired = all.Where(t => t.Kind == kind && t.Name == name).Skip(KeepPerName).ToList();
        if (expired.Count == 0)
        {
            return;
        }

        var candidates = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tree in expired)
        {
            var manifest = await _catalog.GetManifestAsync(tree.Kind, tree.Name, tree.Id, cancellationToken).ConfigureAwait(false);
            foreach (var entry in manifest?.Files ?? [])
            {
                candidates.Add(entry.Sha256);
            }

            await _catalog.DeleteAsync(tree.Kind, tree.Name, tree.Id, cancellationToken).ConfigureAwait(false);
        }

        foreach (var kept in all.Except(expired))
        {
            var manifest = await _catalog.GetManifestAsync(kept.Kind, kept.Name, kept.Id, cancellationToken).ConfigureAwait(false);
            foreach (var entry in manifest?.Files ?? [])
            {
                candidates.Remove(entry.Sha256);
            }
        }

        foreach (var hash in candidates)
        {
            Blobs.Delete(hash);
        }
    }

    private void PublishDesired(List<TreeRecord> all)
    {
        // ListAsync orders by kind, name, newest first: the first of each (kind, name) is its newest.
        var releases = new List<TreeRef>();
        var content = new List<TreeRef>();
        var kept = new List<TreeRef>();
        TreeRecord? last = null;
        foreach (var tree in all)
        {
            if (tree.Kind == TreeInstaller.ReleaseKind)
            {
                kept.Add(new TreeRef(tree.Name, tree.Id));
            }

            if (last is not null && last.Kind == tree.Kind && last.Name == tree.Name)
            {
                continue;
            }

            (tree.Kind == TreeInstaller.ContentKind ? content : releases).Add(new TreeRef(tree.Name, tree.Id));
            last = tree;
        }

        Volatile.Write(ref _desired, new SyncResponse(releases, content, kept));
    }
}
