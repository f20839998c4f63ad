using System.Text.Json;
using WebFarm.Agent.Control;
using WebFarm.Controller.Apps;

namespace WebFarm.Controller.Store;

/// <summary>The apps table of the embedded store (<see cref="IAppStore"/>): one row per app, its definition as JSON.</summary>
public sealed partial class SqliteControllerStore : IAppStore
{
    private const string AppsSchema = """
        CREATE TABLE IF NOT EXISTS apps (
            name TEXT PRIMARY KEY,
            definition TEXT NOT NULL,
            created TEXT NOT NULL);
        """;

    public async Task<bool> AddAppAsync(AppDefinition app, DateTimeOffset created, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "INSERT INTO apps (name, definition, created) VALUES ($name, $definition, $created) ON CONFLICT(name) DO NOTHING";
            command.Parameters.AddWithValue("$name", app.Name);
            command.Parameters.AddWithValue("$definition", JsonSerializer.Serialize(app, ProtocolJson.Options));
            command.Parameters.AddWithValue("$created", Format(created));
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<IReadOnlyList<AppDefinition>> ListAppsAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT definition FROM apps ORDER BY name";
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var list = new List<AppDefinition>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                list.Add(JsonSerializer.Deserialize<AppDefinition>(reader.GetString(0), ProtocolJson.Options)
                    ?? throw new InvalidDataException("apps: a row holds no definition"));
            }

            return list;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<bool> RemoveAppAsync(string name, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "DELETE FROM apps WHERE name = $name";
            command.Parameters.AddWithValue("$name", name);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }
        finally
        {
            _gate.Release();
        }
    }
}
