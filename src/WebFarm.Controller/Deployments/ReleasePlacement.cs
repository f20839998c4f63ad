using System.Collections.Immutable;

namespace WebFarm.Controller.Deployments;

/// <summary>
/// Which release each server runs, for the apps that run their releases: the app's current release (what a server
/// that joins gets) and, per server, the release it serves and the one a deployment starts beside it. The agents' desired
/// apps are built from it (<see cref="Apps.AppCatalog.DesiredFor"/>); only deployments change it. Immutable snapshots
/// replaced under a lock: read by every heartbeat, written a few times per deployment.
/// </summary>
public sealed class ReleasePlacement
{
    private readonly Lock _lock = new();
    private ImmutableDictionary<string, long> _current = ImmutableDictionary.Create<string, long>(StringComparer.Ordinal);
    private ImmutableDictionary<(string App, string Server), ServerReleases> _servers = ImmutableDictionary<(string App, string Server), ServerReleases>.Empty;

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

    /// <summary>Forgets an app (removed): its servers stop its instances.</summary>
    public void Remove(string app)
    {
        lock (_lock)
        {
            _current = _current.Remove(app);
            _servers = _servers.RemoveRange(_servers.Keys.Where(k => k.App == app));
        }
    }
}
