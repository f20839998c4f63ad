using WebFarm.Controller.Apps;

namespace WebFarm.Controller.Store;

/// <summary>The apps table: app definitions (their placement included), kept apart from servers and tokens.</summary>
public interface IAppStore
{
    /// <summary>Inserts the app; false (nothing written) when an app of that name exists.</summary>
    Task<bool> AddAppAsync(AppDefinition app, DateTimeOffset created, CancellationToken cancellationToken);

    Task<IReadOnlyList<AppDefinition>> ListAppsAsync(CancellationToken cancellationToken);

    /// <summary>False when there was no such app.</summary>
    Task<bool> RemoveAppAsync(string name, CancellationToken cancellationToken);
}
