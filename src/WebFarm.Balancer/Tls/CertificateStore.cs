using System.Net.Security;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Events;

namespace WebFarm.Balancer.Tls;

/// <summary>
/// The certificates of one https listener, kept in step with its folder: a FileSystemWatcher gives the prompt signal
/// and a periodic comparison of the folder's write times and sizes backs it up (inotify watches run out; network file
/// systems miss events). A rescan reloads only the certificates whose files changed and publishes a new
/// <see cref="CertificateSet"/> that new handshakes use; connections already open keep the certificate they were made
/// with. A certificate that cannot be loaded at a rescan keeps the one loaded before under its name (event
/// certificate-rejected), and a folder left with no usable certificate keeps the whole running set.
/// </summary>
internal sealed partial class CertificateStore : IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(250);

    private readonly string _listener;
    private readonly string? _password;
    private readonly string? _defaultName;
    private readonly List<SslApplicationProtocol> _alpn;
    private readonly EventStream _events;
    private readonly ILogger _logger;
    private readonly Lock _rescanLock = new();
    private FileSystemWatcher? _watcher;
    private Timer? _debounceTimer;
    private Timer? _pollTimer;
    private CertificateSet _set;
    private string _stamp;
    private int _disposed;

    private CertificateStore(string listener, string folder, string? password, string? defaultName, List<SslApplicationProtocol> alpn, CertificateSet set, string stamp, EventStream events, ILogger logger)
    {
        _listener = listener;
        Folder = folder;
        _password = password;
        _defaultName = defaultName;
        _alpn = alpn;
        _set = set;
        _stamp = stamp;
        _events = events;
        _logger = logger;
    }

    /// <summary>The folder (full path).</summary>
    public string Folder { get; }

    /// <summary>The certificates new handshakes choose from.</summary>
    public CertificateSet Current => Volatile.Read(ref _set);

    /// <summary>
    /// Loads every certificate of <paramref name="folder"/>. At start nothing doubtful is let through: every file that
    /// makes no usable certificate is a problem, as is a missing folder, one without certificates, or an unknown default.
    /// </summary>
    /// <exception cref="CertificateFolderException">Every problem, each naming its file.</exception>
    public static CertificateStore Open(string listener, string folder, string? password, string? defaultName, List<SslApplicationProtocol> alpn, EventStream events, ILogger logger)
    {
        var stamp = CertificateFolder.FolderStamp(folder);
        List<CertificateSource> sources;
        List<CertificateProblem> problems;
        try
        {
            (sources, problems) = CertificateFolder.Scan(folder);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CertificateFolderException([new CertificateProblem(string.Empty, folder, ex.Message)]);
        }

        var loaded = new List<ServerCertificate>();
        var now = DateTime.UtcNow;
        foreach (var source in sources)
        {
            try
            {
                loaded.Add(CertificateLoader.Load(source, password, alpn, now));
            }
            catch (CertificateLoadException ex)
            {
                problems.Add(ex.Problem);
            }
        }

        if (problems.Count == 0 && loaded.Count == 0)
        {
            problems.Add(new CertificateProblem(string.Empty, folder, $"{folder} holds no certificate (name.pem + name.key, a PEM with both, or name.pfx)"));
        }

        var @default = loaded.Count == 0 ? null : defaultName is null ? loaded[0] : loaded.Find(c => c.Name == defaultName);
        if (problems.Count == 0 && @default is null)
        {
            problems.Add(new CertificateProblem(defaultName!, folder, $"DefaultCertificate '{defaultName}' is not in {folder} (certificates: {string.Join(", ", loaded.ConvertAll(c => c.Name))})"));
        }

        if (problems.Count > 0)
        {
            throw new CertificateFolderException(problems);
        }

        var store = new CertificateStore(listener, folder, password, defaultName, alpn, new CertificateSet(loaded, @default!), stamp, events, logger);
        store.Watch();
        return store;
    }

    /// <summary>Kestrel's per-handshake callback: the options of the certificate the client's SNI selects.</summary>
    public static ValueTask<SslServerAuthenticationOptions> OnConnection(TlsHandshakeCallbackContext context)
        => ValueTask.FromResult(((CertificateStore)context.State!).Current.Select(context.ClientHelloInfo.ServerName).Options);

    /// <summary>Scans the folder now if it changed since the last scan (or always with <paramref name="force"/>).</summary>
    public void Rescan(bool force = false)
    {
        lock (_rescanLock)
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                return;
            }

            var stamp = CertificateFolder.FolderStamp(Folder);
            if (!force && stamp == _stamp)
            {
                return;
            }

            _stamp = stamp;
            var current = Current;
            List<CertificateSource> sources;
            List<CertificateProblem> problems;
            try
            {
                (sources, problems) = CertificateFolder.Scan(Folder);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Reject($"{ex.Message}; keeping the {current.Certificates.Count} certificate(s) in use");
                return;
            }

            var next = new List<ServerCertificate>();
            var loaded = new List<ServerCertificate>();
            var now = DateTime.UtcNow;
            foreach (var source in sources)
            {
                var old = current.Find(source.Name);
                if (old is not null && old.Source == source)
                {
                    next.Add(old);
                    continue;
                }

                try
                {
                    var certificate = CertificateLoader.Load(source, _password, _alpn, now);
                    next.Add(certificate);
                    loaded.Add(certificate);
                }
                catch (CertificateLoadException ex)
                {
                    problems.Add(ex.Problem);
                }
            }

            // A certificate whose files are unusable now keeps serving as it was loaded before.
            foreach (var problem in problems)
            {
                var old = current.Find(problem.Name);
                var kept = old is not null && next.Find(c => c.Name == old.Name) is null;
                if (kept)
                {
                    next.Add(old!);
                }

                Reject($"{problem}; {(kept ? $"keeping the certificate '{problem.Name}' loaded before" : "not in use")}");
            }

            var removed = new List<string>();
            foreach (var certificate in current.Certificates)
            {
                if (next.Find(c => c.Name == certificate.Name) is null)
                {
                    removed.Add(certificate.Name);
                }
            }

            if (next.Count == 0)
            {
                Reject($"{Folder} holds no usable certificate; keeping the {current.Certificates.Count} certificate(s) in use");
                return;
            }

            if (loaded.Count == 0 && removed.Count == 0)
            {
                return;
            }

            next.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
            var @default = _defaultName is null ? next[0] : next.Find(c => c.Name == _defaultName);
            if (@default is null)
            {
                @default = next[0];
                Reject($"DefaultCertificate '{_defaultName}' is gone from {Folder}; '{@default.Name}' is the default until it is back");
            }

            Volatile.Write(ref _set, new CertificateSet(next, @default));
            var message = $"{_listener}: certificates reloaded from {Folder}";
            if (loaded.Count > 0)
            {
                message += "; loaded " + string.Join(", ", loaded.ConvertAll(c => c.ToString()));
            }

            if (removed.Count > 0)
            {
                message += "; removed " + string.Join(", ", removed);
            }

            _events.Publish(null, null, EventKind.CertificatesReloaded, message);
        }
    }

    private void Reject(string reason) => _events.Publish(null, null, EventKind.CertificateRejected, $"{_listener}: {reason}");

    private void Watch()
    {
        _debounceTimer = new Timer(static s => ((CertificateStore)s!).RescanFromTimer(force: true), this, Timeout.Infinite, Timeout.Infinite);
        _pollTimer = new Timer(static s => ((CertificateStore)s!).RescanFromTimer(force: false), this, PollInterval, PollInterval);
        try
        {
            _watcher = new FileSystemWatcher(Folder)
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            _watcher.Changed += (_, _) => Schedule();
            _watcher.Created += (_, _) => Schedule();
            _watcher.Deleted += (_, _) => Schedule();
            _watcher.Renamed += (_, _) => Schedule();
            _watcher.Error += (_, e) => Log.WatcherFailed(_logger, Folder, PollInterval, e.GetException());
            _watcher.EnableRaisingEvents = true;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or PlatformNotSupportedException)
        {
            Log.WatcherFailed(_logger, Folder, PollInterval, ex);
        }
    }

    private void Schedule()
    {
        try
        {
            _debounceTimer?.Change(Debounce, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void RescanFromTimer(bool force)
    {
        try
        {
            Rescan(force);
        }
        catch (Exception ex)
        {
            // A timer callback must never throw: that would take the process down.
            Log.RescanFailed(_logger, Folder, ex);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _watcher?.Dispose();
        _pollTimer?.Dispose();
        _debounceTimer?.Dispose();
        lock (_rescanLock)
        {
            // Waits for a rescan in progress to finish.
        }
    }
}
