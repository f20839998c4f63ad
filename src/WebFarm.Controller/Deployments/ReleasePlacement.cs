using System.Collections.Immutable;

namespace WebFarm.Controller.Deployments;

/// <summary>
/// Which release each server runs, for the apps that run their releases: the app's current release (what a server
/// that joins gets) and, per server, the release it serves and the one a deployment starts beside it. The agents' desired
/// apps are built from it (<see cref="Apps.AppCatalog.DesiredFor"/>); only deployments change it. A staged release
/// (`webfarm deploy --stage`) is kept apart from the serving one, so that a rolling deployment's changes to a server
/// never stop it: during `webfarm promote` each server's staged instance becomes its next one (the same release, so the
/// agent keeps the running process). Immutable snapshots replaced under a lock: read by every heartbeat, written a few
/// times per deployment.
/// </summary>
public sealed class ReleasePlacement
{
    private readonly Lock _lock = new();
    private ImmutableDictionary<string, long> _current = ImmutableDictionary.Create<string, long>(StringComparer.Ordinal);
    private ImmutableDictionary<(string App, string Server), ServerReleases> _servers = ImmutableDictionary<(string App, string Server), ServerReleases>.Empty;
    private ImmutableDictionary<(string App, string Server), long> _staged = ImmutableDictionary<(string App, string Server), long>.Empty;

    /// <summary>The app's current release (null before its first deployment).</summary>
    public long? Current(string app) => Volatile.Read(ref _current).TryGetValue(app, out var id) ? id : null;

    /// <summary>What <paramref name="server"/> runs of <paramref name="app"/>: its own placement, else the app's current release.</summary>
    public ServerReleases? For(string app, string server)
        => Volatile.Read(ref _servers).TryGetValue((app, server), out var releases) ? releases
            : Current(app) is { } current ? new ServerReleases(current, null) : null;

    public void SetCurrent(string app, long release)
    {
        lock (_lock)
        {
            _current = _current.SetItem(app, release);
        }
    }

    public void Set(string app, string server, ServerReleases releases)
    {
        lock (_lock)
        {
            _servers = _servers.SetItem((app, server), releases);
        }
    }

    /// <summary>Forgets the server's own placement: it runs the app's current release (nothing before the first deployment).</summary>
    public void Clear(string app, string server)
    {
        lock (_lock)
        {
            _servers = _servers.Remove((app, server));
        }
    }

    /// <summary>The release staged on <paramref name="server"/> beside the serving one (null when none).</summary>
    public long? Staged(string app, string server) => Volatile.Read(ref _staged).TryGetValue((app, server), out var id) ? id : null;

    /// <summary>Runs <paramref name="release"/> on <paramref name="server"/> beside its serving instance, out of rotation.</summary>
    public void SetStaged(string app, string server, long release)
    {
        lock (_lock)
        {
            _staged = _staged.SetItem((app, server), release);
        }
    }

    /// <summary>Stops the staged instance of <paramref name="app"/> on <paramref name="server"/> (on every server when null).</summary>
    public void ClearStaged(string app, string? server = null)
    {
        lock (_lock)
        {
            _staged = server is null ? _staged.RemoveRange(_staged.Keys.Where(k => k.App == app)) : _staged.Remove((app, server));
        }
    }

    /// <summary>
    /// Every release <paramref name="server"/> may be asked to run: each app's current release and the server's own
    /// serving, next and staged ones (a rollback's older release, for a server that joined after it was the newest).
    /// </summary>
    public List<WebFarm.Agent.Releases.TreeRef> PlacedOn(string server)
    {
        var list = new List<WebFarm.Agent.Releases.TreeRef>();
        foreach (var (app, release) in Volatile.Read(ref _current))
        {
            list.Add(new(app, release));
        }

        foreach (var ((app, name), releases) in Volatile.Read(ref _servers))
        {
            if (name == server)
            {
                list.Add(new(app, releases.Serving));
                if (releases.Next is { } next)
                {
                    list.Add(new(app, next));
                }
            }
        }

        foreach (var ((app, name), release) in Volatile.Read(ref _staged))
        {
            if (name == server)
            {
                list.Add(new(app, release));
            }
        }

        return list;
    }

    /// <summary>Forgets an app (removed): its servers stop its instances.</summary>
    public void Remove(string app)
    {
        lock (_lock)
        {
            _current = _current.Remove(app);
            _servers = _servers.RemoveRange(_servers.Keys.Where(k => k.App == app));
            _staged = _staged.RemoveRange(_staged.Keys.Where(k => k.App == app));
        }
    }
}
