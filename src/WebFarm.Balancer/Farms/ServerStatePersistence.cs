using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Configuration;

namespace WebFarm.Balancer.Farms;

/// <summary>
/// The runtime's side of servers.json (<see cref="ServerStateStore"/>): what is loaded at start, how a saved
/// state is put back on a server, and saving after every operator decision. Nothing is persisted without a
/// state directory.
/// </summary>
internal sealed partial class ServerStatePersistence
{
    private readonly ServerStateStore? _store;
    private readonly ILogger _logger;

    public ServerStatePersistence(string? stateDirectory, ILogger logger)
    {
        _store = stateDirectory is null ? null : new ServerStateStore(stateDirectory);
        _logger = logger;
    }

    /// <summary>The saved states, or null without a state directory; an unreadable file is logged and ignored.</summary>
    public Dictionary<string, Dictionary<string, ServerStateStore.SavedServer>>? Load()
    {
        string? problem = null;
        var saved = _store is null ? null : _store.Load(out problem);
        if (problem is not null)
        {
            Log.SavedStatesIgnored(_logger, problem);
        }

        return saved;
    }

    public bool Enabled => _store is not null;

    /// <summary>
    /// Puts a saved state, live weight and health verdict back on a server the configuration (or servers.json) names.
    /// An unhealthy verdict comes back only where an active health check (<paramref name="hasActiveCheck"/>) will bring
    /// the server in once it passes; without one nothing would, and the server starts healthy as before.
    /// </summary>
    public static void Restore(ServerRuntime server, ServerStateStore.SavedServer saved, bool hasActiveCheck)
    {
        if (Enum.IsDefined(saved.State))
        {
            server.State = saved.State;
            if (saved.State == ServerState.Draining)
            {
                server.DrainCompletion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                server.DrainCompletion.TrySetResult();
            }
        }

        if (saved.ConfigWeight == server.ConfigWeight && ConfigValidator.IsValidWeight(saved.Weight))
        {
            server.Weight = saved.Weight;
        }

        if (!saved.Healthy && hasActiveCheck)
        {
            server.Healthy = false;
        }
    }

    /// <summary>Writes the states of <paramref name="snapshot"/>'s servers; an I/O failure is logged, not thrown.</summary>
    public void Save(RuntimeSnapshot? snapshot)
    {
        if (_store is null || snapshot is null)
        {
            return;
        }

        try
        {
            _store.Save(snapshot.Farms);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.SaveFailed(_logger, _store.Directory, ex);
        }
    }
}
