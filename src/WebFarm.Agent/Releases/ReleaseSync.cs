using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using WebFarm.Agent.Control;

namespace WebFarm.Agent.Releases;

/// <summary>
/// The agent's release loop, beside the heartbeat (an install that takes a minute never delays a heartbeat): every
/// period it tells the controller what it holds and what it refused (POST /api/agents/sync), and installs what the
/// answer lists and it lacks. A refused tree (a broken rule, a limit, a corrupt blob) is not fetched again; a failure
/// to reach the controller is retried at the next period.
/// </summary>
public sealed partial class ReleaseSync : ITreeSource, IAsyncDisposable
{
    private readonly ControllerClient _client;
    private readonly string _credential;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<(string Kind, string Name, long Id), string> _refused = new();
    private Task _loop = Task.CompletedTask;
    private long _syncs;

    public ReleaseSync(ControllerClient client, string credential, string dataDirectory, TreeLimits limits, TimeSpan interval, ILogger logger)
    {
        _client = client;
        _credential = credential;
        _interval = interval;
        _logger = logger;
        Installer = new TreeInstaller(dataDirectory, limits, this);
    }

    public TreeInstaller Installer { get; }

    /// <summary>
    /// The releases this agent's instances run now: never deleted, whatever the controller says (one that lost its
    /// data, or a new leader whose placements are not restored yet, must not pull a release from under a running app).
    /// </summary>
    public Func<IEnumerable<TreeRef>> InUse { get; set; } = static () => [];

    /// <summary>Syncs the controller answered (each after the installs the previous one asked for).</summary>
    public long Syncs => Interlocked.Read(ref _syncs);

    /// <summary>What was refused, and why (as reported to the controller).</summary>
    public IReadOnlyList<TreeFailure> Refused()
    {
        var list = new List<TreeFailure>(_refused.Count);
        foreach (var (key, reason) in _refused)
        {
            list.Add(new TreeFailure(key.Kind, key.Name, key.Id, reason));
        }

        return list;
    }

    public void Start() => _loop = RunAsync();

    Task<TreeManifest> ITreeSource.GetManifestAsync(string kind, string name, long id, CancellationToken cancellationToken)
        => _client.GetManifestAsync(_credential, kind, name, id, cancellationToken);

    Task<Stream> ITreeSource.OpenBlobAsync(string sha256, CancellationToken cancellationToken)
        => _client.OpenBlobAsync(_credential, sha256, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    /// <summary>One round: report, then install what is wanted and missing.</summary>
    public async Task SyncOnceAsync(CancellationToken cancellationToken)
    {
        var wanted = await _client.SyncAsync(_credential, new SyncRequest(Installer.InstalledReleases(), Installer.InstalledContent(), Refused()), cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _syncs);
        foreach (var release in wanted.Releases)
        {
            await InstallAsync(TreeInstaller.ReleaseKind, release, Installer.InstallReleaseAsync, cancellationToken).ConfigureAwait(false);
        }

        foreach (var content in wanted.Content)
        {
            await InstallAsync(TreeInstaller.ContentKind, content, Installer.InstallContentAsync, cancellationToken).ConfigureAwait(false);
        }

        if (wanted.Keep is { } keep)
        {
            var removed = Installer.Prune([.. keep, .. InUse()], wanted.Releases);
            if (removed > 0)
            {
                Log.Pruned(_logger, removed);
            }
        }
    }

    private async Task InstallAsync(string kind, TreeRef tree, Func<string, long, CancellationToken, Task> install, CancellationToken cancellationToken)
    {
        var key = (kind, tree.Name, tree.Id);
        if (_refused.ContainsKey(key))
        {
            return;
        }

        try
        {
            await install(tree.Name, tree.Id, cancellationToken).ConfigureAwait(false);
        }
        catch (TreeRefusedException ex)
        {
            _refused[key] = ex.Message;
            Log.Refused(_logger, kind, tree.Name, tree.Id, ex.Message);
        }
    }

    private async Task RunAsync()
    {
        string? outage = null;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await SyncOnceAsync(_stop.Token).ConfigureAwait(false);
                if (outage is not null)
                {
                    Log.SyncWorksAgain(_logger, _client.Controller);
                    outage = null;
                }

                await Task.Delay(_interval, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or AgentRefusedException or OperationCanceledException or IOException or System.Text.Json.JsonException)
            {
                // Retried every period, logged once per outage (the heartbeat loop reports the controller's reachability too).
                if (outage is null)
                {
                    Log.SyncFailed(_logger, _client.Controller, ex.Message, _interval);
                }

                outage = ex.Message;
                try
                {
                    await Task.Delay(_interval, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
