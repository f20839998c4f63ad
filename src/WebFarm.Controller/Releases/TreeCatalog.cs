using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using WebFarm.Agent.Control;
using WebFarm.Agent.Releases;
using WebFarm.Controller.Api;
using WebFarm.Controller.Store;

namespace WebFarm.Controller.Releases;

/// <summary>
/// The releases and content set versions the controller keeps: one table (<c>trees</c>) in its own SQLite file
/// (<c>releases.db</c> beside controller.db: a release upload never waits for a heartbeat's write, and the farm
/// store's schema stays its own). A manifest is stored as its JSON; the files themselves are blobs.
/// Callers serialize writes (<see cref="ReleaseLibrary"/> holds one lock for create and prune).
/// </summary>
internal sealed class TreeCatalog : IAsyncDisposable
{
    public const string FileName = "releases.db";

    private const string Schema = """
        PRAGMA journal_mode = WAL;
        PRAGMA busy_timeout = 5000;
        CREATE TABLE IF NOT EXISTS trees (
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            id INTEGER NOT NULL,
            created TEXT NOT NULL,
            message TEXT NULL,
            size INTEGER NOT NULL,
            files INTEGER NOT NULL,
            changed INTEGER NOT NULL,
            manifest TEXT NOT NULL,
            PRIMARY KEY (kind, name, id));
        """;

    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private TreeCatalog(SqliteConnection connection)
    {
        _connection = connection;
    }

    /// <exception cref="SqliteException">The file cannot be opened or is not a SQLite database.</exception>
    public static async Task<TreeCatalog> OpenAsync(string path, CancellationToken cancellationToken)
    {
        return new TreeCatalog(await SqliteFile.OpenAsync(path, Schema, cancellationToken).ConfigureAwait(false));
    }

    public async Task AddAsync(TreeRecord record, TreeManifest manifest, CancellationToken cancellationToken)
    {
        await RunAsync(async () =>
        {
            using var command = _connection.CreateCommand();
            command.CommandText = """
                INSERT INTO trees (kind, name, id, created, message, size, files, changed, manifest)
                VALUES ($kind, $name, $id, $created, $message, $size, $files, $changed, $manifest)
                """;
            command.Parameters.AddWithValue("$kind", record.Kind);
            command.Parameters.AddWithValue("$name", record.Name);
            command.Parameters.AddWithValue("$id", record.Id);
            command.Parameters.AddWithValue("$created", SqliteFile.FormatTime(record.Created));
            command.Parameters.AddWithValue("$message", (object?)record.Message ?? DBNull.Value);
            command.Parameters.AddWithValue("$size", record.Size);
            command.Parameters.AddWithValue("$files", record.Files);
            command.Parameters.AddWithValue("$changed", record.Changed);
            command.Parameters.AddWithValue("$manifest", ControllerJson.Serialize(manifest));
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every tree, newest first within each (kind, name).</summary>
    public Task<List<TreeRecord>> ListAsync(CancellationToken cancellationToken)
        => RunAsync(async () =>
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT kind, name, id, created, message, size, files, changed FROM trees ORDER BY kind, name, id DESC";
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var list = new List<TreeRecord>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                list.Add(new TreeRecord(
                    reader.GetString(0),
                    reader.GetString(1),
                    reader.GetInt64(2),
                    SqliteFile.ParseTime(reader.GetString(3)),
                    reader.IsDBNull(4) ? null : reader.GetString(4),
                    reader.GetInt64(5),
                    reader.GetInt32(6),
                    reader.GetInt32(7)));
            }

            return list;
        }, cancellationToken);

    public Task<TreeManifest?> GetManifestAsync(string kind, string name, long id, CancellationToken cancellationToken)
        => RunAsync(async () =>
        {
            using var command = TreeCommand("SELECT manifest FROM trees", kind, name, id);
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string json
                ? ControllerJson.Deserialize<TreeManifest>(json)
                : null;
        }, cancellationToken);

    public Task DeleteAsync(string kind, string name, long id, CancellationToken cancellationToken)
        => RunAsync(async () =>
        {
            using var command = TreeCommand("DELETE FROM trees", kind, name, id);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary><paramref name="statement"/> on the one row of (kind, name, id).</summary>
    private SqliteCommand TreeCommand(string statement, string kind, string name, long id)
    {
        var command = _connection.CreateCommand();
        command.CommandText = statement + " WHERE kind = $kind AND name = $name AND id = $id";
        command.Parameters.AddWithValue("$kind", kind);
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$id", id);
        return command;
    }

    private async Task<T> RunAsync<T>(Func<Task<T>> body, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await body().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }
}
