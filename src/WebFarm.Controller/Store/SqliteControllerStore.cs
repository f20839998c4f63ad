using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using WebFarm.Agent.Control;

namespace WebFarm.Controller.Store;

/// <summary>
/// The embedded store: one SQLite file (WAL journal) in the controller's data directory. One connection, used by
/// one caller at a time: the controller's writes are a heartbeat a second per server, far below what one
/// connection sustains, and it keeps every transaction trivially serial.
/// </summary>
public sealed partial class SqliteControllerStore : IControllerStore
{
    public const string FileName = "controller.db";

    private const string Schema = """
        PRAGMA journal_mode = WAL;
        PRAGMA synchronous = NORMAL;
        CREATE TABLE IF NOT EXISTS join_tokens (
            hash BLOB PRIMARY KEY,
            created TEXT NOT NULL,
            expires TEXT NOT NULL,
            used_by TEXT NULL,
            used_at TEXT NULL);
        CREATE TABLE IF NOT EXISTS servers (
            name TEXT PRIMARY KEY,
            address TEXT NOT NULL,
            credential_hash BLOB NOT NULL UNIQUE,
            joined_at TEXT NOT NULL,
            last_heartbeat TEXT NULL,
            load TEXT NULL);
        """;

    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private SqliteControllerStore(SqliteConnection connection)
    {
        _connection = connection;
    }

    /// <summary>Opens (creating if needed) the store file and its schema.</summary>
    /// <exception cref="SqliteException">The file cannot be opened or is not a SQLite database.</exception>
    public static async Task<SqliteControllerStore> OpenAsync(string path, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            using var command = connection.CreateCommand();
            command.CommandText = Schema + AppsSchema;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new SqliteControllerStore(connection);
    }

    public async Task AddJoinTokenAsync(byte[] tokenHash, DateTimeOffset created, DateTimeOffset expires, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "INSERT INTO join_tokens (hash, created, expires) VALUES ($hash, $created, $expires)";
            command.Parameters.AddWithValue("$hash", tokenHash);
            command.Parameters.AddWithValue("$created", Format(created));
            command.Parameters.AddWithValue("$expires", Format(expires));
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<JoinOutcome> JoinAsync(byte[] tokenHash, ServerRecord server, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var transaction = _connection.BeginTransaction();
            using (var find = _connection.CreateCommand())
            {
                find.Transaction = transaction;
                find.CommandText = "SELECT expires, used_by FROM join_tokens WHERE hash = $hash";
                find.Parameters.AddWithValue("$hash", tokenHash);
                using var reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return JoinOutcome.TokenUnknown;
                }

                if (!reader.IsDBNull(1))
                {
                    return JoinOutcome.TokenUsed;
                }

                if (Parse(reader.GetString(0)) <= server.JoinedAt)
                {
                    return JoinOutcome.TokenExpired;
                }
            }

            using (var taken = _connection.CreateCommand())
            {
                taken.Transaction = transaction;
                taken.CommandText = "SELECT 1 FROM servers WHERE name = $name";
                taken.Parameters.AddWithValue("$name", server.Name);
                if (await taken.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null)
                {
                    return JoinOutcome.NameTaken;
                }
            }

            using (var use = _connection.CreateCommand())
            {
                use.Transaction = transaction;
                use.CommandText = """
                    UPDATE join_tokens SET used_by = $name, used_at = $at WHERE hash = $hash;
                    INSERT INTO servers (name, address, credential_hash, joined_at) VALUES ($name, $address, $credential, $at);
                    """;
                use.Parameters.AddWithValue("$hash", tokenHash);
                use.Parameters.AddWithValue("$name", server.Name);
                use.Parameters.AddWithValue("$address", server.Address);
                use.Parameters.AddWithValue("$credential", server.CredentialHash);
                use.Parameters.AddWithValue("$at", Format(server.JoinedAt));
                await use.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return JoinOutcome.Joined;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<IReadOnlyList<ServerRecord>> ListServersAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT name, address, credential_hash, joined_at, last_heartbeat, load FROM servers ORDER BY name";
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var list = new List<ServerRecord>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                list.Add(new ServerRecord(
                    reader.GetString(0),
                    reader.GetString(1),
                    (byte[])reader.GetValue(2),
                    Parse(reader.GetString(3)),
                    reader.IsDBNull(4) ? null : Parse(reader.GetString(4)),
                    reader.IsDBNull(5) ? null : JsonSerializer.Deserialize<ServerLoad>(reader.GetString(5), ProtocolJson.Options)));
            }

            return list;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<bool> RecordHeartbeatAsync(string name, DateTimeOffset time, ServerLoad load, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "UPDATE servers SET last_heartbeat = $time, load = $load WHERE name = $name";
            command.Parameters.AddWithValue("$name", name);
            command.Parameters.AddWithValue("$time", Format(time));
            command.Parameters.AddWithValue("$load", JsonSerializer.Serialize(load, ProtocolJson.Options));
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }
        finally
        {
            _gate.Release();
        }
    }

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

    // Round-trip ISO-8601 in UTC: sortable as text and exact.
    private static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
