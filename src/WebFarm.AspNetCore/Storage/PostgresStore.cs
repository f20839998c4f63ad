using Npgsql;

namespace WebFarm.AspNetCore.Storage;

/// <summary>
/// PostgreSQL as a <see cref="IWebFarmStore"/>. Owns the data source and creates the tables once
/// (under an advisory lock, because several servers of the farm start at the same time).
/// </summary>
internal sealed class PostgresStore : IWebFarmStore, IAsyncDisposable
{
    // Arbitrary constant shared by every WebFarm app: serializes CREATE TABLE IF NOT EXISTS across servers.
    private const long SchemaLockId = 0x5745424641524d; // "WEBFARM"

    private const string SchemaSql = """
        CREATE TABLE IF NOT EXISTS webfarm_cache (
            id text PRIMARY KEY,
            value bytea NOT NULL,
            expires_at timestamptz NULL,
            sliding_ms bigint NULL,
            absolute_expiration timestamptz NULL);
        CREATE INDEX IF NOT EXISTS webfarm_cache_expires_at ON webfarm_cache (expires_at);
        CREATE TABLE IF NOT EXISTS webfarm_dataprotection_keys (
            application text NOT NULL,
            friendly_name text NOT NULL,
            xml text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (application, friendly_name));
        """;

    private readonly SemaphoreSlim _schemaGate = new(1, 1);
    private volatile bool _schemaReady;

    public PostgresStore(string connectionString, TimeSpan commandTimeout)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.CommandTimeout == new NpgsqlConnectionStringBuilder().CommandTimeout)
        {
            builder.CommandTimeout = Math.Max(1, (int)Math.Ceiling(commandTimeout.TotalSeconds));
        }

        if (builder.Timeout == new NpgsqlConnectionStringBuilder().Timeout)
        {
            builder.Timeout = Math.Max(1, (int)Math.Ceiling(commandTimeout.TotalSeconds));
        }

        Target = $"{builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}";
        DataSource = NpgsqlDataSource.Create(builder.ConnectionString);
    }

    public string Kind => "postgres";

    public string Target { get; }

    public NpgsqlDataSource DataSource { get; }

    public async Task PingAsync(CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand("SELECT 1");
        await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Opens a connection, creating the tables first if this process has not done so yet.</summary>
    public async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (!_schemaReady)
        {
            await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        }

        return await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync()
    {
        _schemaGate.Dispose();
        return DataSource.DisposeAsync();
    }

    private async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        await _schemaGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_schemaReady)
            {
                return;
            }

            await using var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@id)", connection, transaction))
            {
                lockCommand.Parameters.AddWithValue("id", SchemaLockId);
                await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using (var create = new NpgsqlCommand(SchemaSql, connection, transaction))
            {
                await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            _schemaReady = true;
        }
        finally
        {
            _schemaGate.Release();
        }
    }
}
