using System.Data.Common;
using System.Text.Json;
using WebFarm.Agent.Control;
using WebFarm.Controller.Api;
using WebFarm.Controller.Apps;

namespace WebFarm.Controller.Store;

/// <summary>
/// App definitions (<see cref="ControllerSchema.Apps"/>: one row per app, its definition as JSON): the statements both
/// stores run, over an open connection the caller owns.
/// </summary>
internal static class AppTables
{
    public static async Task<bool> AddAsync(DbConnection connection, SqlDialect dialect, AppDefinition app, DateTimeOffset created, CancellationToken cancellationToken)
    {
        await using var command = connection.Command("INSERT INTO apps (name, definition, created) VALUES (@name, @definition, @created) ON CONFLICT (name) DO NOTHING")
            .With("@name", app.Name).With("@definition", ControllerJson.Serialize(app)).With("@created", StoreValues.Time(dialect, created));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    public static async Task<IReadOnlyList<AppDefinition>> ListAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.Command("SELECT definition FROM apps ORDER BY name");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<AppDefinition>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(ControllerJson.Deserialize<AppDefinition>(reader.GetString(0))
                ?? throw new InvalidDataException("apps: a row holds no definition"));
        }

        return list;
    }

    public static async Task<bool> RemoveAsync(DbConnection connection, string name, CancellationToken cancellationToken)
    {
        await using var command = connection.Command("DELETE FROM apps WHERE name = @name").With("@name", name);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }
}
