using System.Data.Common;
using System.Text.Json;
using WebFarm.Agent.Control;
using WebFarm.Controller.Api;

namespace WebFarm.Controller.Store;

/// <summary>
/// Join tokens and servers (<see cref="ControllerSchema.JoinTokens"/>, <see cref="ControllerSchema.Servers"/>): the
/// statements both stores run, over an open connection. The caller owns the connection and its concurrency (SQLite:
/// one connection used serially; PostgreSQL: a pooled connection per call).
/// </summary>
internal static class ServerTables
{
    public static async Task AddJoinTokenAsync(DbConnection connection, SqlDialect dialect, byte[] tokenHash, DateTimeOffset created, DateTimeOffset expires, CancellationToken cancellationToken)
    {
        await using var command = connection.Command("INSERT INTO join_tokens (hash, created, expires) VALUES (@hash, @created, @expires)")
            .With("@hash", tokenHash).With("@created", StoreValues.Time(dialect, created)).With("@expires", StoreValues.Time(dialect, expires));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async Task<JoinOutcome> JoinAsync(DbConnection connection, SqlDialect dialect, byte[] tokenHash, ServerRecord server, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        // PostgreSQL: FOR UPDATE makes two joins with one token queue on its row, so only one can use it.
        // SQLite needs none: its one connection is used serially.
        var lockRow = dialect == SqlDialect.Postgres ? " FOR UPDATE" : string.Empty;
        await using (var find = connection.Command("SELECT expires, used_by FROM join_tokens WHERE hash = @hash" + lockRow, transaction).With("@hash", tokenHash))
        {
            await using var reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return JoinOutcome.TokenUnknown;
            }

            if (!reader.IsDBNull(1))
            {
                return JoinOutcome.TokenUsed;
            }

            if (StoreValues.ReadTime(reader, 0, dialect) <= server.JoinedAt)
            {
                return JoinOutcome.TokenExpired;
            }
        }

        await using (var taken = connection.Command("SELECT 1 FROM servers WHERE name = @name", transaction).With("@name", server.Name))
        {
            if (await taken.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null)
            {
                return JoinOutcome.NameTaken;
            }
        }

        var at = StoreValues.Time(dialect, server.JoinedAt);
        try
        {
            await using (var use = connection.Command("UPDATE join_tokens SET used_by = @name, used_at = @at WHERE hash = @hash", transaction)
                .With("@hash", tokenHash).With("@name", server.Name).With("@at", at))
            {
                await use.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using (var insert = connection.Command("INSERT INTO servers (name, address, credential_hash, joined_at) VALUES (@name, @address, @credential, @at)", transaction)
                .With("@name", server.Name).With("@address", server.Address).With("@credential", server.CredentialHash).With("@at", at))
            {
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (DbException ex) when (ex.SqlState == UniqueViolation)
        {
            // Another controller's transaction inserted the name after our check (PostgreSQL, two joins at once).
            return JoinOutcome.NameTaken;
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return JoinOutcome.Joined;
    }

    public static async Task<IReadOnlyList<ServerRecord>> ListServersAsync(DbConnection connection, SqlDialect dialect, CancellationToken cancellationToken)
    {
        await using var command = connection.Command("SELECT s.name, s.address, s.credential_hash, s.joined_at, s.last_heartbeat, s.load, l.labels FROM servers s LEFT JOIN server_labels l ON l.server = s.name ORDER BY s.name");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<ServerRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new ServerRecord(
                reader.GetString(0),
                reader.GetString(1),
                (byte[])reader.GetValue(2),
                StoreValues.ReadTime(reader, 3, dialect),
                StoreValues.ReadNullableTime(reader, 4, dialect),
                reader.IsDBNull(5) ? null : ControllerJson.Deserialize<ServerLoad>(reader.GetString(5)),
                reader.IsDBNull(6) ? null : ControllerJson.Deserialize<Dictionary<string, string>>(reader.GetString(6))));
        }

        return list;
    }

    public static async Task<bool> RecordHeartbeatAsync(DbConnection connection, SqlDialect dialect, string name, DateTimeOffset time, ServerLoad load, CancellationToken cancellationToken)
    {
        await using var command = connection.Command("UPDATE servers SET last_heartbeat = @time, load = @load WHERE name = @name")
            .With("@name", name).With("@time", StoreValues.Time(dialect, time)).With("@load", ControllerJson.Serialize(load));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    public static async Task SetLabelsAsync(DbConnection connection, string name, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        await using var command = connection.Command("INSERT INTO server_labels (server, labels) VALUES (@name, @labels) ON CONFLICT (server) DO UPDATE SET labels = excluded.labels")
            .With("@name", name).With("@labels", ControllerJson.Serialize(labels));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    // SQLSTATE unique_violation (both PostgreSQL and the SQL standard's class 23).
    private const string UniqueViolation = "23505";
}
